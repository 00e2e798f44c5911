#include "app/gui/equivalence_controller.h"

#include <set>

#include <QFileInfo>

#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "engine/equiv/circuit_units.h"
#include "engine/equiv/equivalence.h"
#include "engine/equiv/unit_strings.h"
#include "engine/model/model.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/pruning.h"
#include "widgets/equivalence_view.h"
#include "widgets/mask_list.h"

namespace cx::app {
namespace {

struct EquivalenceAnswer {
    std::vector<widgets::EquivalenceRow> rows;
    std::vector<widgets::SimilarityLayer> similarity;
    engine::CircuitDiagram diagrams[2];
    std::set<std::string> lit[2];
    QString notes[2];
    int64_t unitsA = 0, layers = 0, compared = 0;
    std::vector<std::string> skipped;
    bool exact = true;
};

// A side's circuit as a diagram (the model alone is too large to be worth drawing).
void drawSide(engine::Workspace& ws, const engine::MaskHandle& mask, EquivalenceAnswer& answer, int side, engine::JobContext& job) {
    if (!mask) {
        answer.notes[side] = QObject::tr("the whole model (not drawn)");
        return;
    }
    engine::DiagramOptions options;
    options.showDeadEnds = true;  // every unit compared is drawn (dead ends greyed)
    auto diagram = engine::loadDiagram(ws, *mask, options, job, "", false);
    if (diagram) answer.diagrams[side] = diagram.take();
    else answer.notes[side] = QString::fromStdString(diagram.error().message);
}

// `masks` holds the session's circuits found in memory (their files are written only when saved).
engine::Result<EquivalenceAnswer> findEquivalents(engine::Workspace& ws, const widgets::EquivalenceSettings& s, engine::MaskHandle masks[2],
                                                  engine::JobContext& job) {
    const QString paths[2] = {s.maskA, s.maskB};
    for (int side = 0; side < 2; ++side)
        if (!paths[side].isEmpty() && !masks[side]) {
            auto m = engine::readMask(ws, paths[side].toStdString());
            if (!m) return m.error();
            masks[side] = m.take();
        }
    EquivalenceAnswer answer;
    const auto mode = s.permuted ? engine::InputMatch::Permuted : engine::InputMatch::Same;
    const bool contains = s.contains && !s.permuted;
    const engine::SignatureOptions options;
    for (const auto& layer : ws.summary().layers) {
        if (job.cancelled()) return engine::cancelledError();
        auto a = engine::circuitUnits(ws, masks[0], layer.name);
        if (!a) {
            answer.skipped.push_back(a.error().message);
            continue;
        }
        if (a.value().units.empty()) continue;
        auto b = engine::circuitUnits(ws, masks[1], layer.name);
        if (!b) return b.error();
        engine::StringOptions strings;
        strings.permutationInvariant = s.permuted;
        widgets::SimilarityLayer sim{QString::fromStdString(layer.name), {}, {}, {}};
        for (const auto& u : a.value().units) sim.unitsA << QString::fromStdString(u.name);
        for (const auto& u : b.value().units) sim.unitsB << QString::fromStdString(u.name);
        for (const auto& row : engine::similarityMatrix(a.value().units, b.value().units, strings)) sim.values.insert(sim.values.end(), row.begin(), row.end());
        answer.similarity.push_back(std::move(sim));
        engine::JobContext part(job.token());
        auto m = engine::matchLayer(a.value().units, b.value().units, mode, contains, options, part);
        if (!m) return m.error();
        ++answer.layers;
        answer.unitsA += int64_t(a.value().units.size());
        answer.compared += m.value().compared;
        answer.exact = answer.exact && m.value().exact;
        for (size_t p = 0; p < m.value().pairs.size(); ++p) {
            const auto& ua = a.value().units[m.value().pairs[p].first];
            const auto& ub = b.value().units[m.value().pairs[p].second];
            const auto& c = m.value().comparisons[p];
            QString inputs;
            if (s.permuted)
                for (const auto& [from, to] : c.inputMap) inputs += QStringLiteral("%1->%2 ").arg(from).arg(to);
            answer.rows.push_back({QString::fromStdString(layer.name), QString::fromStdString(ua.name), QString::fromStdString(ub.name),
                                   c.exact, inputs.trimmed()});
            answer.lit[0].insert(ua.name);
            answer.lit[1].insert(ub.name);
        }
        job.progress("compare", double(&layer - ws.summary().layers.data() + 1) / double(ws.summary().layers.size()));
    }
    for (int side = 0; side < 2; ++side) drawSide(ws, masks[side], answer, side, job);
    return answer;
}

}  // namespace

EquivalenceController::EquivalenceController(Session& session, JobRunner& jobs, widgets::EquivalenceView* view, widgets::MaskList* masks,
                                             QObject* parent)
    : Controller(session, jobs, parent), m_view(view), m_masks(masks) {
    connect(view, &widgets::EquivalenceView::runRequested, this, &EquivalenceController::run);
    connect(masks, &widgets::MaskList::masksChanged, this, &EquivalenceController::masksChanged);
}

void EquivalenceController::masksChanged() {
    QStringList names, paths;
    for (const auto& m : m_masks->masks()) {
        names << m.name;
        paths << m.path;
    }
    m_view->setCircuits(names, paths);
}

void EquivalenceController::modelOpened() {
    masksChanged();
    m_view->setRows({});
    m_view->setSimilarity({});
    for (int side = 0; side < 2; ++side) m_view->setDiagram(side, {}, {});
}

void EquivalenceController::run() {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model and find or open two circuits of it first."));
    const auto settings = m_view->settings();
    if (settings.maskA.isEmpty() && settings.maskB.isEmpty())
        return Q_EMIT errorRaised(tr("Two circuits"), tr("Pick a circuit for A or B: the model against itself says nothing."));
    m_view->setBusy(true);
    m_jobs.start<EquivalenceAnswer>(
        QStringLiteral("equivalence"), tr("Equivalent units"), tr("Cannot compare the circuits"),
        [ws = m_session.workspace(), settings, a = m_session.maskInMemory(settings.maskA),
         b = m_session.maskInMemory(settings.maskB)](engine::JobContext& job) {
            engine::MaskHandle masks[2] = {a, b};
            return findEquivalents(*ws, settings, masks, job);
        },
        [this, settings](EquivalenceAnswer& a) -> QString {
            m_view->setBusy(false);
            m_view->setRows(a.rows);
            m_view->setSimilarity(a.similarity);
            for (int side = 0; side < 2; ++side) m_view->setDiagram(side, a.diagrams[side], a.lit[side], a.notes[side]);
            QString caption = tr("%1 of %2 units of A have an equivalent in B (%3 layers, %4 unit pairs compared; %5%6).")
                                  .arg(a.rows.size())
                                  .arg(a.unitsA)
                                  .arg(a.layers)
                                  .arg(a.compared)
                                  .arg(settings.permuted ? tr("inputs up to a permutation")
                                                         : settings.contains ? tr("B read with only A's inputs on") : tr("the same function"))
                                  .arg(a.exact ? tr(", every signature exact") : tr(", some approximate"));
            if (!a.skipped.empty())
                caption += tr(" %n layer(s) skipped: %1", nullptr, int(a.skipped.size())).arg(QString::fromStdString(a.skipped.front())) +
                           (a.skipped.size() > 1 ? tr(" (and the like)") : QString());
            m_view->setCaption(caption);
            return {};
        },
        [this](const QString&) { m_view->setBusy(false); });
}

}  // namespace cx::app
