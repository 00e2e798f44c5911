#include "app/gui/session.h"

#include <QFileInfo>
#include <QTemporaryDir>

#include "engine/pruning/pruning.h"

namespace cx::app {

Session::Session() : m_workDir(std::make_unique<QTemporaryDir>()) {}
Session::~Session() = default;

void Session::open(std::shared_ptr<engine::Model> model, const QString& path) {
    m_model = std::move(model);
    m_workspace = engine::Workspace::over(m_model);  // read once; every job of this model runs on it
    m_modelPath = QFileInfo(path).absoluteFilePath();
    forgetResults();  // scores and masks belong to the model they were made for
}

void Session::close() {
    m_model.reset();
    m_workspace.reset();
    m_modelPath.clear();
    forgetResults();
}

void Session::forgetResults() {
    m_scores.clear();
    m_unwritten.clear();
}

QString Session::imagesForJobs() const {
    if (!m_dataPath.isEmpty()) return m_dataPath;
    return m_workDir->filePath(QStringLiteral("shapes.safetensors"));
}

QString Session::newFile(const QString& stem, const QString& suffix) {
    return m_workDir->filePath(QStringLiteral("%1%2.%3").arg(stem).arg(++m_files).arg(suffix));
}

bool Session::isSessionFile(const QString& path) const { return path.startsWith(m_workDir->path() + QLatin1Char('/')); }

void Session::rememberScores(const QString& key, const QString& file, engine::ScoresHandle scores) {
    m_scores.insert(key, {file, std::move(scores)});
}

QMap<QString, QString> Session::scoresFiles() const {
    QMap<QString, QString> files;
    for (auto it = m_scores.begin(); it != m_scores.end(); ++it) files.insert(it.key(), it.value().file);
    return files;
}

void Session::keepUnwritten(const QString& path, engine::MaskHandle mask) { m_unwritten[path].mask = std::move(mask); }
void Session::keepUnwritten(const QString& path, engine::ScoresHandle scores) { m_unwritten[path].scores = std::move(scores); }

bool Session::has(const QString& path) const { return !path.isEmpty() && (m_unwritten.contains(path) || QFileInfo::exists(path)); }

QString Session::writeOut(const QString& path) {
    const auto it = m_unwritten.constFind(path);
    if (it == m_unwritten.constEnd() || QFileInfo::exists(path) || !m_workspace) return {};
    const std::string file = path.toStdString();
    const auto written = it->mask ? engine::writeMask(*m_workspace, *it->mask, file) : engine::writeScores(*m_workspace, *it->scores, file);
    return written ? QString() : QString::fromStdString(written.error().message);
}

}  // namespace cx::app
