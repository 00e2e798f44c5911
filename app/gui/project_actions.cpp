// MainWindow's projects: saving the session (model, images, settings, named masks, curves, what
// is on screen) to a .cxproj file and reopening it. The masks and scores of the session live in a
// temporary folder; saving copies them into PROJECT.masks/ beside the project file.
#include <filesystem>

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>

#include "app/gui/main_window.h"
#include "app/gui/project_file.h"
#include "engine/atomic_file.h"
#include "widgets/circuit_panel.h"
#include "widgets/curve_view.h"
#include "widgets/diagram_view.h"
#include "widgets/mask_list.h"
#include "widgets/training_panel.h"

namespace cx::app {
namespace {

QString safeName(QString name) {
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    return name.left(80);
}

// Copies `from` to `to` through a temporary file and a rename: `to` is never half written.
bool copyAtomically(const QString& from, const QString& to, QString& error) {
    if (QFileInfo(from).canonicalFilePath() == QFileInfo(to).canonicalFilePath()) return true;
    const QString part = to + QStringLiteral(".part");
    QFile::remove(part);
    if (!QFile::copy(from, part)) {
        error = QObject::tr("cannot copy %1 to %2").arg(from, part);
        return false;
    }
    std::error_code ec;
    std::filesystem::rename(part.toStdString(), to.toStdString(), ec);
    if (ec) {
        QFile::remove(part);
        error = QObject::tr("cannot write %1: %2").arg(to, QString::fromStdString(ec.message()));
        return false;
    }
    return true;
}

}  // namespace

void MainWindow::chooseProjectSave(bool saveAs) {
    if (!saveAs && !m_projectPath.isEmpty()) {
        saveProject(m_projectPath);
        return;
    }
    const QString suggested = m_projectPath.isEmpty() ? QFileInfo(m_modelPath).completeBaseName() + QStringLiteral(".cxproj") : m_projectPath;
    QString path = QFileDialog::getSaveFileName(this, tr("Save Project"), suggested, tr("Circuit Explorer projects (*.cxproj)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(".cxproj"))) path += QStringLiteral(".cxproj");
    saveProject(path);
}

bool MainWindow::saveProject(const QString& path) {
    if (!m_model) {
        showError(tr("Nothing to save"), tr("Open a model before saving a project."));
        return false;
    }
    const QFileInfo info(path);
    const QDir base = info.absoluteDir();
    const QString maskDir = base.filePath(info.completeBaseName() + QStringLiteral(".masks"));
    QString error;
    const QString session = m_workDir->path() + QLatin1Char('/');
    // A session file (in the temporary folder) is copied into the project's mask folder.
    QMap<QString, QString> copied;
    const auto keep = [&](const QString& file, const QString& name) -> QString {
        if (file.isEmpty() || !file.startsWith(session)) return file;
        if (copied.contains(file)) return copied[file];
        if (!QDir().mkpath(maskDir)) {
            error = tr("cannot create the folder %1").arg(maskDir);
            return {};
        }
        const QString to = QDir(maskDir).filePath(QStringLiteral("%1-%2.safetensors").arg(copied.size() + 1, 2, 10, QLatin1Char('0')).arg(safeName(name)));
        if (!copyAtomically(file, to, error)) return {};
        copied.insert(file, to);
        return to;
    };

    ProjectState s;
    s.model = m_modelPath;
    s.modelSha256 = QString::fromStdString(m_model->summary().sha256);
    s.data = m_dataPath;
    s.circuit = m_circuit->settings();
    s.sweepCriteria = m_circuit->sweepCriteria();
    s.training = m_training->settings();
    const QString shown = QString::fromStdString(m_circuit->view()->diagram().mask);
    for (auto m : m_masks->masks()) {
        const QString original = m.path;
        m.path = keep(m.path, m.name);
        m.scores = keep(m.scores, m.name + QStringLiteral(".scores"));
        if (!error.isEmpty()) break;
        if (original == shown) s.shownMask = m.path;
        s.masks.append(m);
    }
    // Scores of the images jobs use now, so moving the sparsity slider after reopening is instant.
    const QString images = QLatin1Char('|') + imagesForJobs();
    for (auto it = m_scoresByKey.begin(); it != m_scoresByKey.end() && error.isEmpty(); ++it)
        if (it.key().endsWith(images) && QFile::exists(it.value()))
            s.scoresByKey.insert(it.key().chopped(images.size()), keep(it.value(), QStringLiteral("scores")));
    if (!error.isEmpty()) {
        showError(tr("Cannot save the project"), error);
        return false;
    }
    s.curves = m_circuit->curves()->points();
    s.sweepSettings = m_sweepSettings;
    s.tab = m_central->tabText(m_central->currentIndex()).remove(QLatin1Char('&'));
    s.unitsLayer = m_unitsLayer;
    s.deltaFNorm = m_circuit->curves()->metric() == widgets::CurveView::Metric::DeltaFNorm;

    // Atomic: the old project stays until the new one is complete (the engine's writer).
    const QByteArray json = projectJson(s, base);
    if (auto st = engine::writeFileAtomic(path.toStdString(), json.constData(), size_t(json.size())); !st) {
        showError(tr("Cannot save the project"), QString::fromStdString(st.error().message));
        return false;
    }
    m_projectPath = info.absoluteFilePath();
    addRecentFile(m_projectPath);
    updateTitle();
    statusBar()->showMessage(tr("Saved %1 (%2 masks)").arg(info.fileName()).arg(s.masks.size()), 5000);
    return true;
}

void MainWindow::openProject(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return showError(tr("Cannot open project"), tr("cannot read %1: %2").arg(path, file.errorString()));
    auto state = std::make_unique<ProjectState>();
    QString error;
    if (!readProjectJson(file.readAll(), QFileInfo(path).absoluteDir(), *state, error))
        return showError(tr("Cannot open project"), tr("%1: %2").arg(QFileInfo(path).fileName(), error));
    if (!QFileInfo::exists(state->model))
        return showError(tr("Cannot open project"), tr("%1: its model %2 does not exist").arg(QFileInfo(path).fileName(), state->model));
    m_pendingProject = std::move(state);
    m_pendingProjectPath = QFileInfo(path).absoluteFilePath();
    openModel(m_pendingProject->model);  // setModel() applies the project once the model is loaded
}

void MainWindow::applyProject(const ProjectState& s) {
    m_projectPath = m_pendingProjectPath;
    addRecentFile(m_projectPath);
    updateTitle();
    m_circuit->setSettings(s.circuit);
    if (!s.sweepCriteria.empty()) m_circuit->setSweepCriteria(s.sweepCriteria);
    m_training->setSettings(s.training);
    if (s.modelSha256 != QString::fromStdString(m_model->summary().sha256)) {
        showError(tr("The model has changed"),
                  tr("%1 has changed since the project was saved, so its masks, scores and curves were not loaded.").arg(s.model));
        return;
    }
    QStringList missing;
    for (const auto& m : s.masks) {
        if (QFile::exists(m.path)) m_masks->addMask(m);
        else missing << m.path;
    }
    const QString images = QLatin1Char('|') + imagesForJobs();
    for (auto it = s.scoresByKey.begin(); it != s.scoresByKey.end(); ++it)
        if (QFile::exists(it.value())) m_scoresByKey.insert(it.key() + images, it.value());
    auto* curves = m_circuit->curves();
    curves->clear();
    curves->addPoints(s.curves);
    m_sweepSettings = s.sweepSettings;
    curves->setMetric(s.deltaFNorm ? widgets::CurveView::Metric::DeltaFNorm : widgets::CurveView::Metric::Pearson);
    if (!s.curves.empty())
        curves->setCaption(tr("%1: saved curves. Click a point to open its circuit.").arg(s.sweepSettings.targetLabel()));
    if (!s.unitsLayer.isEmpty()) selectLayer(s.unitsLayer);
    if (!s.shownMask.isEmpty() && QFile::exists(s.shownMask)) {
        m_masks->select({s.shownMask});
        openMask(s.shownMask, false);
    }
    for (int i = 0; i < m_central->count(); ++i)
        if (m_central->tabText(i).remove(QLatin1Char('&')) == s.tab) m_central->setCurrentIndex(i);
    if (!missing.isEmpty())
        showError(tr("Missing masks"), tr("These mask files of the project are gone:\n%1").arg(missing.join(QLatin1Char('\n'))));
}

}  // namespace cx::app
