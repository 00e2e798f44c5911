#include "app/gui/recent_files.h"

#include <QFile>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace cx::app {
namespace {
constexpr int kMaxRecent = 8;
const QString kKey = QStringLiteral("recentFiles");
}  // namespace

RecentFiles::RecentFiles(QMenu* menu) : QObject(menu), m_menu(menu) { rebuild(); }

QStringList RecentFiles::files() const { return QSettings().value(kKey).toStringList(); }

void RecentFiles::add(const QString& path) {
    QStringList list = files();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > kMaxRecent) list.removeLast();
    QSettings().setValue(kKey, list);
    rebuild();
}

void RecentFiles::rebuild() {
    m_menu->clear();
    const QStringList list = files();
    for (int i = 0; i < list.size(); ++i) {
        auto* action = m_menu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(list[i]).fileName()), this,
                                         [this, path = list[i]] { Q_EMIT chosen(path); });
        action->setStatusTip(list[i]);
        action->setEnabled(QFile::exists(list[i]));
    }
    m_menu->setEnabled(!list.isEmpty());
    if (list.isEmpty()) return;
    m_menu->addSeparator();
    m_menu->addAction(tr("Clear Menu"), this, [this] {
        QSettings().remove(kKey);
        rebuild();
    });
}

}  // namespace cx::app
