#include "app/gui/population_controller.h"

#include <any>

#include <QFileInfo>

#include "app/gui/circuit_controller.h"
#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "engine/diagram/node_images.h"
#include "engine/model/model.h"
#include "engine/model/workspace.h"
#include "engine/pruning/sweep_job.h"
#include "widgets/population_view.h"

namespace cx::app {
namespace {

using PointsResult = engine::Result<std::vector<engine::CurvePoint>>;

// The open model's layers whose units a population can be made of.
QStringList unitLayers(const engine::ModelSummary& summary) {
    QStringList layers;
    for (const auto& layer : summary.layers)
        if (layer.reachable && !layer.inControlFlow && layer.outChannels > 0) layers << QString::fromStdString(layer.name);
    return layers;
}

QString summaryCaption(const std::vector<engine::CurvePoint>& points, const QString& layer, const QString& source) {
    const auto units = engine::unitsOf(points).size(), criteria = engine::criteriaOf(points).size();
    const auto levels = engine::sparsitiesOf(points).size();
    return QObject::tr("%1: %2 units \u00d7 %3 criteria \u00d7 %4 sparsities%5. Click a median to see its level's distribution; "
                       "double-click a unit to open its circuit.")
        .arg(layer).arg(units).arg(criteria).arg(levels).arg(source);
}

}  // namespace

PopulationController::PopulationController(Session& session, JobRunner& jobs, widgets::PopulationView* view, QObject* parent)
    : Controller(session, jobs, parent), m_view(view) {
    connect(view, &widgets::PopulationView::openCsvRequested, this, &PopulationController::openCsv);
    connect(&jobs, &JobRunner::jobFinished, this, [this](int id, bool cancelled, const QString&) {
        if (id != m_runId) return;
        m_runId = -1;
        m_view->setBusy(false);
        if (cancelled) m_view->setCaption(tr("The population run was cancelled: the points shown are the units done before"));
    });
    connect(view, &widgets::PopulationView::unitOpened, this, [this](const QString& target, engine::Criterion criterion, double sparsity) {
        auto settings = m_settings;
        settings.target = target;
        settings.directionFile.clear();
        settings.criterion = criterion;
        settings.sparsity = sparsity;
        Q_EMIT circuitRequested(settings);
    });
}

void PopulationController::modelOpened() {
    m_view->clear();
    m_view->setLayers(m_session.isOpen() ? unitLayers(m_session.model()->summary()) : QStringList());
    m_view->setCaption(tr("A population: choose a layer and its units, then Run (or open a CSV from cx sweep --units)"));
}

void PopulationController::run(const QString& layer, const QString& units, const std::vector<engine::Criterion>& criteria,
                               const widgets::CircuitSettings& base) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model before running a population."));
    if (layer.isEmpty()) return Q_EMIT errorRaised(tr("No layer"), tr("Choose the layer whose units are the population."));
    if (units.isEmpty()) return Q_EMIT errorRaised(tr("No units"), tr("Name the units: all, 0-47, 3,7,9 or 0-3,8."));
    if (criteria.empty()) return Q_EMIT errorRaised(tr("No criteria"), tr("Tick at least one criterion."));
    auto population = base;  // the layer is the target; each unit its own
    population.target = layer;
    population.directionFile.clear();
    engine::SweepRequest request = sweepRequest(population, m_session.imagesForJobs(), criteria);
    request.units = units.toStdString();
    const bool demoImages = m_session.usesDemoImages();
    m_settings = base;
    m_view->clear();
    m_view->setBusy(true);
    m_view->setCaption(units == QLatin1String("all") ? tr("Sweeping every unit of %1\u2026").arg(layer)
                                                     : tr("Sweeping units %1 of %2\u2026").arg(units, layer));
    Q_EMIT viewRequested(m_view);
    m_runId = m_jobs.start<std::vector<engine::CurvePoint>>(
        QStringLiteral("population"), tr("Population %1 (%2)").arg(layer, units), tr("Cannot run the population"),
        [ws = m_session.workspace(), request, demoImages](engine::JobContext& job) -> PointsResult {
            if (demoImages)
                if (auto st = ensureDemoImages(request.images); !st) return st.error();
            return engine::runSweep(*ws, request, job);
        },
        [this, layer](std::vector<engine::CurvePoint>& points) -> QString {
            m_view->setBusy(false);
            m_view->setPoints(points, layer);
            m_view->setCaption(summaryCaption(points, layer, QString()));
            showPictures(layer);
            return {};
        },
        [this](const QString&) {
            m_view->setBusy(false);
            m_view->setCaption(tr("The population run did not finish"));
        },
        [this, layer](std::vector<std::any>& partial) {
            std::vector<engine::CurvePoint> points;
            for (auto& p : partial)
                if (const auto* point = std::any_cast<engine::CurvePoint>(&p)) points.push_back(*point);
            if (points.empty()) return;
            if (m_view->shownLayer() != layer) m_view->setPoints({}, layer);
            m_view->addPoints(points);
        });
}

void PopulationController::openCsv(const QString& path) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open the model the population was swept on first."));
    const QString layer = m_view->layer();
    const auto& summary = m_session.model()->summary();
    const int index = summary.indexOf(layer.toStdString());
    if (index < 0) return Q_EMIT errorRaised(tr("No layer"), tr("Choose the layer the population's units belong to."));
    const int64_t count = summary.layers[size_t(index)].outChannels;
    Q_EMIT viewRequested(m_view);
    m_runId = -1;  // a run in progress gives way to the file (the same kind of job)
    m_view->setBusy(false);
    m_jobs.start<std::vector<engine::CurvePoint>>(
        QStringLiteral("population"), tr("Read %1").arg(QFileInfo(path).fileName()), tr("Cannot open the population"),
        [file = path.toStdString(), count, name = layer.toStdString()](engine::JobContext&) -> PointsResult {
            auto points = engine::readCurveCsv(file);
            if (!points) return points;
            for (const auto& p : points.value()) {
                if (p.unit < 0) return engine::invalidInput(file + " is a single target's curve, not a population (it has no unit column)");
                if (p.unit >= count)
                    return engine::invalidInput(file + " has unit " + std::to_string(p.unit) + ", but " + name + " has " +
                                                std::to_string(count) + " units: is it another layer's population?");
            }
            return points;
        },
        [this, layer, path](std::vector<engine::CurvePoint>& points) -> QString {
            m_settings = widgets::CircuitSettings{};  // a file does not say how it was swept: the defaults (as cx sweep's)
            m_view->setPoints(points, layer);
            m_view->setCaption(summaryCaption(points, layer, tr(", from %1").arg(QFileInfo(path).fileName())));
            showPictures(layer);
            return {};
        });
}

void PopulationController::showPictures(const QString& layer) {
    if (!m_session.isOpen()) return;
    m_jobs.start<std::vector<engine::NodeImage>>(
        QStringLiteral("population-pictures"), tr("Pictures of %1").arg(layer), QString(),  // the table does without
        [ws = m_session.workspace(), images = m_session.imagesForJobs().toStdString(), name = layer.toStdString(),
         demo = m_session.usesDemoImages()](engine::JobContext& job) -> engine::Result<std::vector<engine::NodeImage>> {
            if (demo)
                if (auto st = ensureDemoImages(images); !st) return st.error();
            return engine::layerUnitPictures(*ws, images, name, job);
        },
        [this, layer](std::vector<engine::NodeImage>& pictures) -> QString {
            if (m_view->shownLayer() == layer) m_view->setPictures(pictures);
            return {};
        });
}

}  // namespace cx::app
