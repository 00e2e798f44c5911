#include "app/gui/project_controller.h"

#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTabWidget>

#include "app/gui/circuit_controller.h"
#include "app/gui/data_controller.h"
#include "app/gui/file_copy.h"
#include "app/gui/population_controller.h"
#include "app/gui/project_file.h"
#include "app/gui/session.h"
#include "engine/io/atomic_file.h"
#include "engine/model/model.h"
#include "widgets/circuit_panel.h"
#include "widgets/curve_view.h"
#include "widgets/population_view.h"
#include "widgets/diagram_view.h"
#include "widgets/mask_list.h"
#include "widgets/training_panel.h"

namespace cx::app {
namespace {

QString safeName(QString name) {
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_.-]+")), QStringLiteral("_"));
    return name.left(80);
}

}  // namespace

ProjectController::ProjectController(Session& session, JobRunner& jobs, const Views& views, QObject* parent)
    : Controller(session, jobs, parent), m_views(views) {}

ProjectController::~ProjectController() = default;

void ProjectController::chooseSave(bool saveAs) {
    if (!saveAs && !m_path.isEmpty()) {
        saveProject(m_path);
        return;
    }
    const QString suggested = m_path.isEmpty() ? QFileInfo(m_session.modelPath()).completeBaseName() + QStringLiteral(".cxproj") : m_path;
    QString path = QFileDialog::getSaveFileName(m_views.tabs, tr("Save Project"), suggested, tr("Circuit Explorer projects (*.cxproj)"));
    if (path.isEmpty()) return;
    if (!path.endsWith(QLatin1String(".cxproj"))) path += QStringLiteral(".cxproj");
    saveProject(path);
}

bool ProjectController::collectFiles(ProjectState& s, const QString& maskDir, QString& error) {
    // A session file (in memory, or in the temporary folder) is written into the project's mask folder.
    QMap<QString, QString> copied;
    const auto keep = [&](const QString& file, const QString& name) -> QString {
        if (file.isEmpty() || !m_session.isSessionFile(file)) return file;
        if (copied.contains(file)) return copied[file];
        if (!QDir().mkpath(maskDir)) {
            error = tr("cannot create the folder %1").arg(maskDir);
            return {};
        }
        if (error = m_session.writeOut(file); !error.isEmpty()) return {};
        const QString to = QDir(maskDir).filePath(QStringLiteral("%1-%2.safetensors").arg(copied.size() + 1, 2, 10, QLatin1Char('0')).arg(safeName(name)));
        if (error = copyFileAtomically(file, to); !error.isEmpty()) return {};
        copied.insert(file, to);
        return to;
    };
    const QString shown = QString::fromStdString(m_views.circuit->view()->diagram().mask);
    for (auto m : m_views.masks->masks()) {
        const QString original = m.path;
        m.path = keep(m.path, m.name);
        m.scores = keep(m.scores, m.name + QStringLiteral(".scores"));
        if (!error.isEmpty()) return false;
        if (original == shown) s.shownMask = m.path;
        s.masks.append(m);
    }
    // Scores of the images jobs use now, so moving the sparsity slider after reopening is instant.
    const QString images = QLatin1Char('|') + m_session.imagesForJobs();
    const auto scores = m_session.scoresFiles();
    for (auto it = scores.begin(); it != scores.end() && error.isEmpty(); ++it)
        if (it.key().endsWith(images) && m_session.has(it.value()))
            s.scoresByKey.insert(it.key().chopped(images.size()), keep(it.value(), QStringLiteral("scores")));
    return error.isEmpty();
}

bool ProjectController::saveProject(const QString& path) {
    if (!m_session.isOpen()) {
        Q_EMIT errorRaised(tr("Nothing to save"), tr("Open a model before saving a project."));
        return false;
    }
    const QFileInfo info(path);
    const QDir base = info.absoluteDir();
    ProjectState s;
    s.model = m_session.modelPath();
    s.modelSha256 = QString::fromStdString(m_session.model()->summary().sha256);
    s.data = m_session.dataPath();
    s.circuit = m_views.circuit->settings();
    s.sweepCriteria = m_views.circuit->sweepCriteria();
    s.training = m_views.training->settings();
    QString error;
    if (!collectFiles(s, base.filePath(info.completeBaseName() + QStringLiteral(".masks")), error)) {
        Q_EMIT errorRaised(tr("Cannot save the project"), error);
        return false;
    }
    s.curves = m_views.circuit->curves()->points();
    s.sweepSettings = m_views.circuits->sweepSettings();
    s.tab = m_views.tabs->tabText(m_views.tabs->currentIndex()).remove(QLatin1Char('&'));
    s.unitsLayer = m_views.data->unitsLayer();
    s.deltaFNorm = m_views.circuit->curves()->metric() == widgets::CurveView::Metric::DeltaFNorm;
    if (const auto* view = m_views.population) {
        s.population.layer = view->shownLayer().isEmpty() ? view->layer() : view->shownLayer();
        s.population.units = view->units();
        s.population.criteria = view->criteria();
        s.population.points = view->points();
        s.population.settings = m_views.populations->settings();
        s.population.sparsity = view->sparsity();
        s.population.deltaFNorm = view->metric() == engine::CurveMetric::DeltaFNorm;
    }

    // Atomic: the old project stays until the new one is complete (the engine's writer).
    const QByteArray json = projectJson(s, base);
    if (auto st = engine::writeFileAtomic(path.toStdString(), json.constData(), size_t(json.size())); !st) {
        Q_EMIT errorRaised(tr("Cannot save the project"), QString::fromStdString(st.error().message));
        return false;
    }
    m_path = info.absoluteFilePath();
    Q_EMIT projectChanged(m_path);
    Q_EMIT statusMessage(tr("Saved %1 (%2 masks)").arg(info.fileName()).arg(s.masks.size()));
    return true;
}

void ProjectController::openProject(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Q_EMIT errorRaised(tr("Cannot open project"), tr("cannot read %1: %2").arg(path, file.errorString()));
    auto state = std::make_unique<ProjectState>();
    QString error;
    if (!readProjectJson(file.readAll(), QFileInfo(path).absoluteDir(), *state, error))
        return Q_EMIT errorRaised(tr("Cannot open project"), tr("%1: %2").arg(QFileInfo(path).fileName(), error));
    if (!QFileInfo::exists(state->model))
        return Q_EMIT errorRaised(tr("Cannot open project"),
                                  tr("%1: its model %2 does not exist").arg(QFileInfo(path).fileName(), state->model));
    m_pending = std::move(state);
    m_pendingPath = QFileInfo(path).absoluteFilePath();
    Q_EMIT modelRequested(m_pending->model);  // modelOpened() applies the project once the model is loaded
}

bool ProjectController::modelOpened() {
    m_path.clear();
    const std::unique_ptr<ProjectState> project = std::move(m_pending);
    if (!project) return false;
    apply(*project);
    return true;
}

void ProjectController::dropPending() { m_pending.reset(); }

void ProjectController::modelClosed() {
    m_pending.reset();
    m_path.clear();
}

void ProjectController::applyPopulation(const PopulationState& p) {
    auto* view = m_views.population;
    if (!view || p.layer.isEmpty()) return;
    view->setLayer(p.layer);
    view->setUnits(p.units);
    if (!p.criteria.empty()) view->setCriteria(p.criteria);
    m_views.populations->setSettings(p.settings);
    view->setMetric(p.deltaFNorm ? engine::CurveMetric::DeltaFNorm : engine::CurveMetric::Pearson);
    if (p.points.empty()) return;
    view->setPoints(p.points, p.layer);
    view->setSparsity(p.sparsity);
    m_views.populations->showPictures(p.layer);
    view->setCaption(tr("%1: a saved population of %2 units. Double-click a unit to open its circuit.")
                         .arg(p.layer).arg(engine::unitsOf(p.points).size()));
}

void ProjectController::apply(const ProjectState& s) {
    m_path = m_pendingPath;
    Q_EMIT projectChanged(m_path);
    m_views.circuit->setSettings(s.circuit);
    if (!s.sweepCriteria.empty()) m_views.circuit->setSweepCriteria(s.sweepCriteria);
    m_views.training->setSettings(s.training);
    if (s.modelSha256 != QString::fromStdString(m_session.model()->summary().sha256))
        return Q_EMIT errorRaised(tr("The model has changed"),
                                  tr("%1 has changed since the project was saved, so its masks, scores and curves were not loaded.").arg(s.model));
    QStringList missing;
    for (const auto& m : s.masks) {
        if (QFile::exists(m.path)) m_views.masks->addMask(m);
        else missing << m.path;
    }
    const QString images = QLatin1Char('|') + m_session.imagesForJobs();
    for (auto it = s.scoresByKey.begin(); it != s.scoresByKey.end(); ++it)
        if (QFile::exists(it.value())) m_session.rememberScores(it.key() + images, it.value());
    auto* curves = m_views.circuit->curves();
    curves->clear();
    curves->addPoints(s.curves);
    m_views.circuits->setSweepSettings(s.sweepSettings);
    curves->setMetric(s.deltaFNorm ? widgets::CurveView::Metric::DeltaFNorm : widgets::CurveView::Metric::Pearson);
    if (!s.curves.empty()) curves->setCaption(tr("%1: saved curves. Click a point to open its circuit.").arg(s.sweepSettings.targetLabel()));
    if (!s.unitsLayer.isEmpty()) Q_EMIT layerRequested(s.unitsLayer);
    applyPopulation(s.population);  // after the layer request, which also picks the Population tab's layer
    if (!s.shownMask.isEmpty() && QFile::exists(s.shownMask)) {
        m_views.masks->select({s.shownMask});
        m_views.circuits->openMask(s.shownMask, false);
    }
    for (int i = 0; i < m_views.tabs->count(); ++i)
        if (m_views.tabs->tabText(i).remove(QLatin1Char('&')) == s.tab) m_views.tabs->setCurrentIndex(i);
    if (!missing.isEmpty())
        Q_EMIT errorRaised(tr("Missing masks"), tr("These mask files of the project are gone:\n%1").arg(missing.join(QLatin1Char('\n'))));
}

}  // namespace cx::app
