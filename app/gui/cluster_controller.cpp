#include "app/gui/cluster_controller.h"

#include <cmath>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "app/gui/unit_text.h"
#include "engine/pruning/pruning.h"
#include "engine/vis/top_examples.h"
#include "widgets/circuit_panel.h"
#include "widgets/cluster_panel.h"
#include "widgets/curve_view.h"
#include "widgets/mask_list.h"

namespace cx::app {
namespace {

constexpr size_t kPatchesPerRow = 16;

struct ClusteredView {
    std::shared_ptr<const engine::PolysemanticResult> result;
    std::vector<widgets::ClusterRow> rows;
};

struct PrunedView {
    std::shared_ptr<const engine::PolysemanticResult> result;
    std::vector<std::string> maskFiles;  // per group, written for the Masks list
    std::vector<widgets::ClusterCurve> curves;
    std::vector<widgets::ClusterOverlap> overlaps;
};

// A row of a group's first patches (best first), with its size and stability.
engine::Result<widgets::ClusterRow> rowOf(engine::Workspace& ws, const std::string& images, const engine::PolysemanticResult& r,
                                          const QString& name, const std::vector<int64_t>& members, const QString& caption) {
    widgets::ClusterRow row;
    row.name = name;
    row.caption = caption;
    for (size_t i = 0; i < members.size() && i < kPatchesPerRow; ++i) {
        auto patch = engine::examplePatch(ws, images, r.examples.top[size_t(members[i])]);
        if (!patch) return patch.error();
        row.patches.push_back(patch.take());
    }
    return row;
}

engine::Result<ClusteredView> clusteredView(engine::Workspace& ws, const engine::PolysemanticSpec& spec,
                                            std::shared_ptr<const engine::PolysemanticResult> result) {
    ClusteredView view;
    const auto& r = *result;
    for (const auto& g : r.groups) {
        const QString caption = g.stability > 0 ? QObject::tr("%1 patches, stability %2").arg(g.members.size()).arg(g.stability, 0, 'g', 3)
                                                : QObject::tr("%1 patches, a random half").arg(g.members.size());
        auto row = rowOf(ws, spec.images, r, QString::fromStdString(g.name), g.members, caption);
        if (!row) return row.error();
        view.rows.push_back(row.take());
    }
    std::vector<int64_t> noise;
    for (size_t i = 0; i < r.labels.size(); ++i)
        if (r.labels[i] < 0) noise.push_back(int64_t(i));
    if (!noise.empty()) {
        auto row = rowOf(ws, spec.images, r, QObject::tr("unclustered"), noise, QObject::tr("%1 patches").arg(noise.size()));
        if (!row) return row.error();
        view.rows.push_back(row.take());
    }
    view.result = std::move(result);
    return view;
}

PrunedView prunedView(std::shared_ptr<const engine::PolysemanticResult> result) {
    PrunedView view;
    const auto& r = *result;
    for (size_t g = 0; g < r.groups.size(); ++g)
        for (size_t h = 0; h < r.groups.size(); ++h) {
            if ((g < r.clusterCount) != (h < r.clusterCount)) continue;  // clusters with clusters, controls with controls
            view.curves.push_back({QString::fromStdString(r.groups[g].name), QString::fromStdString(r.groups[h].name), r.sparsities,
                                   r.groups[g].dfnorm[h]});
        }
    for (const auto& o : r.overlaps) {
        widgets::ClusterOverlap out;
        out.pair = QStringLiteral("%1 / %2").arg(QString::fromStdString(r.groups[o.a].name), QString::fromStdString(r.groups[o.b].name));
        for (const auto& l : o.layers) {
            out.layers.push_back(QString::fromStdString(l.layer));
            out.iou.push_back(l.iou);
        }
        view.overlaps.push_back(std::move(out));
    }
    view.result = std::move(result);
    return view;
}

}  // namespace

ClusterController::ClusterController(Session& session, JobRunner& jobs, widgets::ClusterPanel* panel, widgets::CircuitPanel* circuits,
                                     widgets::MaskList* masks, QObject* parent)
    : Controller(session, jobs, parent), m_panel(panel), m_circuits(circuits), m_masks(masks) {
    connect(panel, &widgets::ClusterPanel::clusterRequested, this, &ClusterController::cluster);
    connect(panel, &widgets::ClusterPanel::pruneRequested, this, &ClusterController::pruneClusters);
    connect(panel, &widgets::ClusterPanel::shown, this, [this] {
        if (m_panel->unit().isEmpty() && m_circuits->target().contains(QLatin1Char(':'))) m_panel->setUnit(m_circuits->target());
    });
}

void ClusterController::modelOpened() {
    m_result.reset();
    m_panel->setClusters(tr("Choose a unit and press Cluster: its top patches are grouped by what the whole layer makes of them."), {},
                         false);
}

void ClusterController::cluster() {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model before clustering a unit's patches."));
    if (m_panel->unit().isEmpty()) m_panel->setUnit(m_circuits->target());
    const QString unit = m_panel->unit();
    QString layer;
    int64_t index = -1;
    if (!splitUnit(unit, layer, index)) return Q_EMIT errorRaised(tr("No unit"), tr("Give the unit as layer:unit, e.g. features.conv4:27."));
    engine::PolysemanticSpec spec;
    spec.images = m_session.imagesForJobs().toStdString();
    spec.layer = layer.toStdString();
    spec.unit = index;
    spec.top = m_panel->topCount();
    spec.clustering.minClusterSize = m_panel->minClusterSize();
    const bool demoImages = m_session.usesDemoImages();
    m_panel->setBusy(true);
    m_jobs.start<ClusteredView>(
        QStringLiteral("clusters"), tr("Cluster the top patches of %1").arg(unit), tr("Cannot cluster the unit's patches"),
        [ws = m_session.workspace(), spec, demoImages](engine::JobContext& job) -> engine::Result<ClusteredView> {
            if (demoImages)
                if (auto st = ensureDemoImages(spec.images); !st) return st.error();
            auto r = engine::clusterTopPatches(*ws, spec, job);
            if (!r) return r.error();
            return clusteredView(*ws, spec, std::make_shared<const engine::PolysemanticResult>(r.take()));
        },
        [this, spec, unit](ClusteredView& v) -> QString {
            m_spec = spec;
            m_result = v.result;
            const auto& r = *v.result;
            const QString found = r.clusterCount == 0
                                      ? tr("No clusters at a minimum size of %1: the top patches are one population to the layer.")
                                            .arg(spec.clustering.minClusterSize)
                                      : tr("%n cluster(s).", nullptr, int(r.clusterCount));
            QString caption = tr("%1 top patches of %2, one per image. %3").arg(r.examples.top.size()).arg(unit, found);
            if (r.clusterCount > 0) caption += tr(" Prune a subcircuit per cluster to see whether they are computed apart.");
            if (!r.boxNote.empty()) caption += tr(" Patches are whole images: %1.").arg(QString::fromStdString(r.boxNote));
            m_panel->setClusters(caption, v.rows, r.clusterCount > 0);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

void ClusterController::pruneClusters() {
    if (!m_session.isOpen() || !m_result || m_result->clusterCount == 0) return;
    engine::PolysemanticSpec spec = m_spec;
    const auto settings = m_circuits->settings();
    spec.criterion = settings.criterion == engine::Criterion::Force ? engine::Criterion::ActGrad : settings.criterion;
    spec.minmax = settings.minmax;
    spec.bias = settings.bias;
    const std::string workDir = m_session.newFile(QStringLiteral("clusters"), QStringLiteral("d")).toStdString();
    spec.control = m_panel->control();
    auto clustered = std::make_shared<engine::PolysemanticResult>(*m_result);
    clustered->groups.resize(clustered->clusterCount);  // the control halves as the box says now
    if (spec.control) engine::addControlHalves(*clustered, spec.seed);
    const QString criterion = widgets::CurveView::criterionLabel(spec.criterion);
    m_panel->setBusy(true);
    m_jobs.start<PrunedView>(
        QStringLiteral("clusters"), tr("Subcircuits of %1 per cluster").arg(m_panel->unit()), tr("Cannot prune the cluster subcircuits"),
        [ws = m_session.workspace(), spec, clustered, workDir](engine::JobContext& job) -> engine::Result<PrunedView> {
            if (auto st = engine::pruneSubcircuits(*ws, spec, *clustered, workDir, job); !st) return st.error();
            PrunedView view = prunedView(clustered);
            for (const auto& g : clustered->groups) {
                view.maskFiles.push_back(workDir + "/mask_" + engine::groupStem(g) + ".safetensors");
                if (auto st = engine::writeMask(*ws, *g.mask, view.maskFiles.back()); !st) return st.error();
            }
            return view;
        },
        [this, criterion, unit = m_panel->unit()](PrunedView& v) -> QString {
            m_result = v.result;
            const auto& r = *v.result;
            for (size_t g = 0; g < r.groups.size(); ++g) {
                const auto& group = r.groups[g];
                const QString name = QString::fromStdString(group.name);
                m_masks->addMask({tr("%1 %2 %3% kept").arg(unit, name).arg(100.0 * r.sparsities[group.chosen], 0, 'g', 3),
                                  QString::fromStdString(v.maskFiles[g]), QStringLiteral("circuit"),
                                  tr("%1 kernels (%2's %3 images)").arg(group.kept[group.chosen]).arg(name).arg(group.members.size()), {}});
            }
            QString caption = tr("%1 subcircuits (max objective on each cluster's images): solid, on their own cluster; dashed, on "
                                 "the others. Each mask is kept at its sparsest level before \u0394f-norm 0.15:").arg(criterion);
            QStringList kept;
            for (const auto& g : r.groups)
                kept << tr("%1 %2% kept%3").arg(QString::fromStdString(g.name)).arg(100.0 * r.sparsities[g.chosen], 0, 'g', 3)
                            .arg(g.chosenBelowThreshold ? QString() : tr(" (never below)"));
            m_panel->setSubcircuits(caption + QLatin1Char(' ') + kept.join(QStringLiteral(", ")) + QLatin1Char('.'), v.curves, v.overlaps);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

}  // namespace cx::app
