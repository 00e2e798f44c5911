#include "app/gui/probe_controller.h"

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "app/gui/unit_text.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/feature_vis.h"
#include "engine/vis/probe_sets.h"
#include "widgets/circuit_panel.h"
#include "widgets/curve_view.h"
#include "widgets/diagram_view.h"
#include "widgets/probe_panel.h"

namespace cx::app {
namespace {

using SurfaceResult = engine::Result<widgets::SurfaceData>;

widgets::SurfaceData toView(const engine::ActivationSurface& s, const QString& circuitCaption) {
    widgets::SurfaceData d;
    d.rowName = QString::fromStdString(s.grid.rowName);
    d.columnName = QString::fromStdString(s.grid.columnName);
    d.rowValues = s.grid.rowValues;
    d.columnValues = s.grid.columnValues;
    d.model = s.model;
    d.circuit = s.circuit;
    d.circuitCaption = circuitCaption;
    return d;
}

// The probe spec of the panel in the input space of the session's images.
engine::Result<engine::ProbeSpec> probeSpec(engine::Workspace& ws, const std::string& images, const std::string& set, int rows,
                                            int columns) {
    auto kind = engine::parseProbeKind(set);
    if (!kind) return kind.error();
    auto space = engine::visSettingsForImages(ws, images);
    if (!space) return space.error();
    engine::ProbeSpec spec;
    spec.kind = kind.value();
    spec.rows = rows;
    spec.columns = columns;
    spec.height = space.value().height;
    spec.width = space.value().width;
    spec.normalize = space.value().normalize;
    spec.strokeWidth = std::max(2.0, double(std::min(spec.height, spec.width)) / 21.0);  // 3 px at 64, 10 at 224
    return spec;
}

}  // namespace

ProbeController::ProbeController(Session& session, JobRunner& jobs, widgets::ProbePanel* panel, widgets::CircuitPanel* circuits,
                                 QObject* parent)
    : Controller(session, jobs, parent), m_panel(panel), m_circuits(circuits) {
    connect(panel, &widgets::ProbePanel::measureRequested, this, &ProbeController::measure);
    connect(panel, &widgets::ProbePanel::cellPicked, this, &ProbeController::pruneForCell);
    connect(panel, &widgets::ProbePanel::shown, this, [this] {
        if (m_panel->unit().isEmpty() && m_circuits->target().contains(QLatin1Char(':'))) m_panel->setUnit(m_circuits->target());
    });
}

void ProbeController::measure() {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model before measuring a unit."));
    if (m_panel->unit().isEmpty()) m_panel->setUnit(m_circuits->target());
    const QString unit = m_panel->unit();
    QString layerText;
    int64_t index = -1;
    if (!splitUnit(unit, layerText, index)) return Q_EMIT errorRaised(tr("No unit"), tr("Give the unit as layer:unit, e.g. features.conv4:27."));
    const std::string layer = layerText.toStdString();
    const std::string mask = m_circuits->view()->diagram().mask;
    const engine::MaskHandle inMemory = m_session.maskInMemory(QString::fromStdString(mask));
    const std::string images = m_session.imagesForJobs().toStdString();
    const bool demoImages = m_session.usesDemoImages();
    const std::string set = m_panel->probeSet().toStdString();
    const int rows = m_panel->rows(), columns = m_panel->columns();
    m_panel->setBusy(true);
    m_jobs.start<widgets::SurfaceData>(
        QStringLiteral("probe"), tr("Probe %1").arg(unit), tr("Cannot measure the unit"),
        [ws = m_session.workspace(), layer, index, mask, inMemory, images, demoImages, set, rows, columns](engine::JobContext& job) -> SurfaceResult {
            if (demoImages)
                if (auto st = ensureDemoImages(images); !st) return st.error();
            auto spec = probeSpec(*ws, images, set, rows, columns);
            if (!spec) return spec.error();
            engine::MaskHandle circuit = inMemory;
            if (!circuit && !mask.empty()) {
                auto read = engine::readMask(*ws, mask);
                if (!read) return read.error();
                circuit = read.take();
            }
            auto s = engine::activationSurface(*ws, circuit, layer, index, spec.value(), job);
            if (!s) return s.error();
            return toView(s.value(), tr("The circuit shown"));
        },
        [this](widgets::SurfaceData& d) -> QString {
            m_panel->setSurface(d);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

void ProbeController::pruneForCell(int r, int c) {
    if (!m_session.isOpen()) return;
    const QString unit = m_panel->unit();
    QString layerText;
    int64_t index = -1;
    if (!splitUnit(unit, layerText, index)) return;
    const std::string layer = layerText.toStdString();
    const auto settings = m_circuits->settings();
    const std::string probeFile = m_session.newFile(QStringLiteral("probe")).toStdString();
    const std::string images = m_session.imagesForJobs().toStdString();
    const bool demoImages = m_session.usesDemoImages();
    const std::string set = m_panel->probeSet().toStdString();
    const int rows = m_panel->rows(), columns = m_panel->columns();
    const auto shown = m_panel->surface();
    const QString caption = tr("Subcircuit for the probe at %1 %2, %3 %4 (%5, %6% kept)")
                                .arg(shown.rowName).arg(shown.rowValues[size_t(r)], 0, 'g', 3)
                                .arg(shown.columnName).arg(shown.columnValues[size_t(c)], 0, 'g', 3)
                                .arg(widgets::CurveView::criterionLabel(settings.criterion))
                                .arg(100.0 * settings.sparsity, 0, 'g', 3);
    m_panel->setBusy(true);
    m_jobs.start<widgets::SurfaceData>(
        QStringLiteral("probe"), tr("Subcircuit of %1 for one probe").arg(unit), tr("Cannot prune for the probe"),
        [ws = m_session.workspace(), layer, index, settings, probeFile, images, demoImages, set, rows,
         columns, r, c, caption](engine::JobContext& job) -> SurfaceResult {
            if (demoImages)
                if (auto st = ensureDemoImages(images); !st) return st.error();
            auto spec = probeSpec(*ws, images, set, rows, columns);
            if (!spec) return spec.error();
            engine::CircuitSpec how;
            how.criterion = settings.criterion == engine::Criterion::Force ? engine::Criterion::ActGrad : settings.criterion;
            how.granularity = settings.granularity;
            how.objective = settings.objective.toStdString();
            how.sparsity = settings.sparsity;
            how.bias = settings.bias;
            how.minmax = settings.minmax;
            auto mask = engine::probeSubcircuit(*ws, layer, index, spec.value(), r, c, probeFile, how, job);
            if (!mask) return mask.error();
            auto s = engine::activationSurface(*ws, mask.value(), layer, index, spec.value(), job);
            if (!s) return s.error();
            return toView(s.value(), caption);
        },
        [this](widgets::SurfaceData& d) -> QString {
            m_panel->setSurface(d);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

}  // namespace cx::app
