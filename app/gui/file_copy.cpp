#include "app/gui/file_copy.h"

#include <QFile>
#include <QFileInfo>

#include "engine/io/atomic_file.h"

namespace cx::app {

QString copyFileAtomically(const QString& from, const QString& to) {
    if (QFileInfo::exists(to) && QFileInfo(from).canonicalFilePath() == QFileInfo(to).canonicalFilePath()) return {};
    QFile source(from);
    if (!source.open(QIODevice::ReadOnly)) return QObject::tr("cannot read %1: %2").arg(from, source.errorString());
    const QByteArray bytes = source.readAll();
    if (auto st = engine::writeFileAtomic(to.toStdString(), bytes.constData(), size_t(bytes.size())); !st)
        return QString::fromStdString(st.error().message);
    return {};
}

}  // namespace cx::app
