#include "app/gui/circuit_controller.h"

#include <algorithm>

#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QSaveFile>
#include <QSettings>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/session.h"
#include "app/gui/unit_text.h"
#include "engine/diagram/diagram_detail.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/diagram/node_images.h"
#include "engine/io/safetensors.h"
#include "engine/pruning/circuit_job.h"
#include "engine/pruning/pruning.h"
#include "engine/pruning/sweep_job.h"
#include "engine/vis/feature_vis.h"
#include "engine/vis/top_examples.h"
#include "widgets/curve_view.h"
#include "widgets/diagram_view.h"
#include "widgets/mask_list.h"
#include "widgets/scatter_view.h"
#include "widgets/unit_examples_view.h"

namespace cx::app {
namespace {

using FoundResult = engine::Result<engine::FoundCircuit>;
using DiagramResult = engine::Result<engine::CircuitDiagram>;
using SweepResult = engine::Result<std::vector<engine::CurvePoint>>;

// The whole circuit's size, whatever level of detail shows it.
QString countsText(const engine::CircuitDiagram& view) {
    const auto& d = view.whole ? *view.whole : view;
    int64_t dead = 0;
    for (const auto& e : d.edges) dead += e.dead;
    QString text = QObject::tr("%L1 units, %L2 kernel edges%3").arg(qint64(d.nodes.size())).arg(qint64(d.edges.size()) - dead)
        .arg(dead ? QObject::tr(" (+%L1 dead ends)").arg(dead) : QString());
    for (const auto& note : view.notes)
        if (note.find("block overview") != std::string::npos) text += QObject::tr("; too many to draw at once, so shown as its block overview");
    return text;
}

// Views of more units than this get their pictures after they are shown.
constexpr size_t kPicturesWithLayout = 300;

size_t unitCount(const engine::CircuitDiagram& view) {
    size_t units = 0;
    for (const auto& n : view.nodes) units += n.kind == engine::NodeKind::Unit ? 1 : 0;
    return units;
}

// A vertex picture finished in a background job, with how many of the view's are done.
struct ArrivedPicture {
    size_t node = 0;
    engine::NodeImage image;
    size_t done = 0, total = 0;
};

bool hasModelUnit(const engine::DiagramNode& n) { return n.kind == engine::NodeKind::Unit && n.layer >= 0; }

// The view on screen and a picture mode, as one comparable key.
std::string picturedKey(const engine::CircuitDiagram& view, widgets::PictureMode mode) {
    return std::to_string(reinterpret_cast<uintptr_t>(view.whole.get())) + "|" + engine::detailKey(view.detail) + "|" +
           view.mask + "|" + std::to_string(int(mode));
}

engine::Status ensureImages(const std::string& path, bool demo) { return demo ? ensureDemoImages(path) : engine::Done{}; }

engine::CircuitSpec circuitSpec(const widgets::CircuitSettings& settings, const QString& images, bool showDeadEnds) {
    engine::CircuitSpec spec;
    spec.images = images.toStdString();
    spec.target = settings.target.toStdString();
    spec.directionFile = settings.directionFile.toStdString();
    spec.criterion = settings.criterion;
    spec.granularity = settings.granularity;
    spec.objective = settings.objective.toStdString();
    spec.sparsity = settings.sparsity;
    spec.bias = settings.bias;
    spec.minmax = settings.minmax;
    spec.diagram.showDeadEnds = showDeadEnds;
    return spec;
}

}  // namespace

engine::SweepRequest sweepRequest(const widgets::CircuitSettings& settings, const QString& images,
                                  const std::vector<engine::Criterion>& criteria) {
    engine::SweepRequest request;
    request.images = images.toStdString();
    request.target = settings.target.toStdString();
    request.directionFile = settings.directionFile.toStdString();
    request.objective = settings.objective.toStdString();
    request.granularity = settings.granularity;
    request.bias = settings.bias;
    request.minmax = settings.minmax;
    request.criteria = criteria;
    return request;
}

CircuitController::CircuitController(Session& session, JobRunner& jobs, widgets::CircuitPanel* panel, widgets::MaskList* masks,
                                     QObject* parent)
    : Controller(session, jobs, parent), m_panel(panel), m_masks(masks) {
    connect(panel, &widgets::CircuitPanel::findRequested, this, qOverload<const widgets::CircuitSettings&>(&CircuitController::findCircuit));
    connect(panel, &widgets::CircuitPanel::sweepRequested, this, &CircuitController::runSweep);
    // A search cancelled in the Jobs panel, or dropped for a mask drawn instead, gives Find back.
    connect(&jobs, &JobRunner::jobFinished, this, [this](int id, bool cancelled, const QString&) {
        if (id != m_findId) return;
        m_findId = -1;
        if (cancelled) m_panel->setBusy(false);
    });
    connect(panel, &widgets::CircuitPanel::exportRequested, this, &CircuitController::chooseDiagramExport);
    connect(panel, &widgets::CircuitPanel::detailRequested, this, &CircuitController::showDetail);
    // The picture mode is a preference: remembered, and every circuit shown gets it.
    const int savedMode = QSettings().value(QStringLiteral("diagram/pictures"), int(widgets::PictureMode::Crop)).toInt();
    if (savedMode >= int(widgets::PictureMode::Crop) && savedMode <= int(widgets::PictureMode::Kernel))
        panel->setPictureMode(widgets::PictureMode(savedMode));
    connect(panel, &widgets::CircuitPanel::pictureModeChanged, this, [this](widgets::PictureMode mode) {
        QSettings().setValue(QStringLiteral("diagram/pictures"), int(mode));
        showPictures(mode);
    });
    connect(panel->view(), &widgets::DiagramView::diagramShown, this, &CircuitController::viewShown);
    connect(panel, &widgets::CircuitPanel::unitExamplesRequested, this, &CircuitController::showUnitExamples);
    connect(panel, &widgets::CircuitPanel::deadEndsToggled, this, [this] {
        const QString shown = QString::fromStdString(m_panel->view()->diagram().mask);
        if (m_session.has(shown)) openMask(shown, false);
    });
    connect(panel->curves(), &widgets::CurveView::pointClicked, this, [this](engine::Criterion criterion, double sparsity) {
        auto settings = m_sweepSettings;
        settings.criterion = criterion;
        settings.sparsity = sparsity;
        m_panel->setSettings(settings);
        findCircuit(settings);
    });
}

void CircuitController::findCircuit(const QString& target, double sparsity) {
    auto settings = m_panel->settings();
    settings.target = target;
    settings.sparsity = sparsity;
    findCircuit(settings);
}

void CircuitController::findCircuit(const widgets::CircuitSettings& settings) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model before searching for a circuit."));
    if (const QString problem = settings.targetProblem(); !problem.isEmpty()) return Q_EMIT errorRaised(tr("No target"), problem);
    const QString images = m_session.imagesForJobs();
    const QString scoresKey = settings.scoringKey() + QLatin1Char('|') + images;
    const engine::CircuitSpec spec = circuitSpec(settings, images, m_panel->deadEndsShown());
    // Scores of this session are in memory; a scores file (opened, or from a project) is read
    // once and then kept in memory too. What is found stays in memory: its files are named now
    // and written only when saved.
    const engine::ScoresHandle inMemory = m_session.scoresInMemory(scoresKey);
    const QString known = m_session.scoresFile(scoresKey);
    const std::string scoresFile = (known.isEmpty() ? m_session.newFile(QStringLiteral("scores")) : known).toStdString();
    const std::string maskFile = m_session.newFile(QStringLiteral("circuit")).toStdString();
    const bool demoImages = m_session.usesDemoImages();
    m_panel->setBusy(true);
    Q_EMIT viewRequested(m_panel);
    m_findId = m_jobs.start<engine::FoundCircuit>(
        QStringLiteral("circuit"), tr("Circuit of %1").arg(settings.targetLabel()), tr("Cannot find the circuit"),
        [ws = m_session.workspace(), spec, inMemory, scoresFile, maskFile, demoImages](engine::JobContext& job) -> FoundResult {
            if (auto st = ensureImages(spec.images, demoImages); !st) return st.error();
            engine::ScoresHandle scores = inMemory;
            if (!scores && QFileInfo::exists(QString::fromStdString(scoresFile))) {
                auto read = engine::readScores(*ws, scoresFile);
                if (!read) return read.error();
                scores = read.take();
            }
            auto found = engine::findCircuit(*ws, spec, job, scores);
            if (!found) return found;
            found.value().scoresFile = scoresFile;
            found.value().maskFile = maskFile;
            found.value().diagram.mask = maskFile;
            return found;
        },
        [this, settings, scoresKey](engine::FoundCircuit& f) -> QString {
            const QString scores = QString::fromStdString(f.scoresFile), mask = QString::fromStdString(f.maskFile);
            m_session.rememberScores(scoresKey, scores, f.scores);
            if (!QFileInfo::exists(scores)) m_session.keepUnwritten(scores, f.scores);
            m_session.keepUnwritten(mask, f.mask);
            showFound(settings, f);
            return {};
        },
        [this](const QString&) { m_panel->setBusy(false); });
}

void CircuitController::showFound(const widgets::CircuitSettings& settings, const engine::FoundCircuit& f) {
    m_panel->setBusy(false);
    m_panel->setRelevantCount(f.prune.relevant);
    const QString how = widgets::CurveView::criterionLabel(settings.criterion);
    const QString size = QString::number(100.0 * settings.sparsity, 'g', 3);
    m_panel->showDiagram(f.diagram, tr("%1 \u2014 %2, %3% of %4 relevant kept (%5 effective): %6")
                                        .arg(settings.targetLabel(), how, size)
                                        .arg(f.prune.relevant)
                                        .arg(f.prune.effectiveKept)
                                        .arg(f.prune.disconnected ? tr("disconnected") : countsText(f.diagram)));
    m_panel->scatter()->setData(f.activations.original, f.activations.circuit, f.activations.pearson, tr("%1 at %2%").arg(how, size));
    m_panel->curves()->setCurrent(settings.criterion, settings.sparsity);
    m_masks->addMask({tr("%1 %2% %3").arg(how, size, settings.targetLabel()), QString::fromStdString(f.maskFile),
                      QStringLiteral("circuit"), tr("%1 of %2").arg(f.prune.kept).arg(f.prune.relevant),
                      QString::fromStdString(f.scoresFile)});
}

void CircuitController::runSweep(const widgets::CircuitSettings& settings, const std::vector<engine::Criterion>& criteria) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open a model before sweeping."));
    if (const QString problem = settings.targetProblem(); !problem.isEmpty()) return Q_EMIT errorRaised(tr("No target"), problem);
    if (criteria.empty()) return Q_EMIT errorRaised(tr("No criteria"), tr("Tick at least one criterion to sweep."));
    const engine::SweepRequest request = sweepRequest(settings, m_session.imagesForJobs(), criteria);
    const bool demoImages = m_session.usesDemoImages();
    m_sweepSettings = settings;
    auto* curves = m_panel->curves();
    curves->clear();
    curves->setCaption(tr("Sweeping %1\u2026").arg(settings.targetLabel()));
    m_jobs.start<std::vector<engine::CurvePoint>>(
        QStringLiteral("sweep"), tr("Sweep %1").arg(settings.targetLabel()), tr("Cannot sweep"),
        [ws = m_session.workspace(), request, demoImages](engine::JobContext& job) -> SweepResult {
            if (auto st = ensureImages(request.images, demoImages); !st) return st.error();
            return engine::runSweep(*ws, request, job);
        },
        [this, curves, settings, criteria](std::vector<engine::CurvePoint>& points) -> QString {
            curves->addPoints(points);
            curves->setCaption(tr("%1: %2 criteria \u00d7 %3 sparsities. Hollow: effective sparsity; ringed: the circuit shown. Click a point to open its circuit.")
                                   .arg(settings.targetLabel())
                                   .arg(criteria.size())
                                   .arg(points.size() / std::max<size_t>(1, criteria.size())));
            const auto shown = m_panel->settings();
            curves->setCurrent(shown.criterion, shown.sparsity);
            return {};
        },
        [curves](const QString&) { curves->setCaption(tr("Sweep failed")); },
        [curves](std::vector<std::any>& partial) {
            std::vector<engine::CurvePoint> points;
            for (auto& p : partial)
                if (const auto* point = std::any_cast<engine::CurvePoint>(&p)) points.push_back(*point);
            if (!points.empty()) curves->addPoints(points);
        });
}

void CircuitController::openMask(const QString& path, bool addToList) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open the model the mask was made for first."));
    const std::string mask = path.toStdString();
    Q_EMIT viewRequested(m_panel);
    engine::DiagramOptions options;
    options.showDeadEnds = m_panel->deadEndsShown();
    const std::string images = m_session.imagesForJobs().toStdString();  // for the vertices' top-activating crops
    const bool demoImages = m_session.usesDemoImages();
    const engine::MaskHandle inMemory = m_session.maskInMemory(path);  // a circuit of this session: not read
    const auto& shown = m_panel->view()->diagram();
    const engine::DetailSpec detail = shown.mask == mask ? shown.detail : engine::DetailSpec{};  // redrawn: the same view
    m_jobs.start<engine::CircuitDiagram>(
        QStringLiteral("circuit"), tr("Diagram of %1").arg(QFileInfo(path).fileName()), tr("Cannot draw the mask"),
        [ws = m_session.workspace(), inMemory, mask, options, images, demoImages, detail](engine::JobContext& job) -> DiagramResult {
            if (auto st = ensureImages(images, demoImages); !st) return st.error();
            engine::MaskHandle drawn = inMemory;
            if (!drawn) {
                auto read = engine::readMask(*ws, mask);
                if (!read) return read.error();
                drawn = read.take();
            }
            auto diagram = engine::loadDiagram(*ws, *drawn, options, job, images, true, detail);
            if (diagram) diagram.value().mask = mask;
            return diagram;
        },
        [this, path, addToList](engine::CircuitDiagram& loaded) -> QString {
            const QString name = m_masks->nameOf(path);
            if (QString::fromStdString(m_panel->view()->diagram().mask) == path) {
                m_panel->view()->setDiagram(loaded);  // drawn again (dead ends toggled): the summary, scatter and ring stay
                return {};
            }
            m_panel->showDiagram(loaded, tr("%1: %2").arg(name.isEmpty() ? QFileInfo(path).fileName() : name, countsText(loaded)));
            m_panel->scatter()->clear();
            m_panel->curves()->clearCurrent();
            if (addToList && name.isEmpty())
                m_masks->addMask({QFileInfo(path).completeBaseName(), path, QStringLiteral("opened"), countsText(loaded), {}});
            return {};
        });
}

void CircuitController::openScores(const QString& path) {
    if (!m_session.isOpen()) return Q_EMIT errorRaised(tr("No model"), tr("Open the model the scores were made for first."));
    // The file says what it scored; the circuit is then pruned from it like a found one.
    auto file = engine::readSafetensors(path.toStdString());
    if (!file) return Q_EMIT errorRaised(tr("Cannot open the scores"), QString::fromStdString(file.error().message));
    const auto& meta = file.value().metadata;
    const auto get = [&](const char* key) {
        const auto it = meta.find(key);
        return it == meta.end() ? QString() : QString::fromStdString(it->second);
    };
    bool hasScores = false, hasMasks = false;  // a pruned mask keeps its scores too: it is not a scores file
    for (const auto& [key, blob] : file.value().tensors) {
        hasScores |= key.rfind("score/", 0) == 0;
        hasMasks |= key.rfind("mask/", 0) == 0;
    }
    if (get("format") != QLatin1String("cx-mask/1") || !hasScores || hasMasks || get("target").isEmpty())
        return Q_EMIT errorRaised(tr("Cannot open the scores"),
                                  tr("%1 is not a scores file (cx score and Find Circuit write them: score/ tensors and a target, "
                                     "no mask/ tensors; open masks with Open Mask)")
                                      .arg(QFileInfo(path).fileName()));
    auto settings = m_panel->settings();
    settings.target = get("target");
    settings.directionFile.clear();
    if (const QString direction = get("direction"); !direction.isEmpty()) {  // the coefficients, as a file the jobs read
        settings.directionFile = m_session.newFile(QStringLiteral("direction"), QStringLiteral("txt"));
        QSaveFile out(settings.directionFile);
        if (!out.open(QIODevice::WriteOnly) || out.write(direction.toUtf8()) < 0 || !out.commit())
            return Q_EMIT errorRaised(tr("Cannot open the scores"), tr("cannot write %1").arg(settings.directionFile));
    }
    // The scores file's own record of how it was made (its metadata: an edge, parsed here).
    if (auto method = engine::parseCriterion(get("method").toStdString())) settings.criterion = method.value();
    if (auto granularity = engine::parseGranularity(get("granularity").toStdString())) settings.granularity = granularity.value();
    if (!get("objective").isEmpty()) settings.objective = get("objective");
    if (settings.criterion == engine::Criterion::Force) {  // FORCE scores prune only at the size they were made for
        bool recorded = false;
        const double size = get("force_sparsity").toDouble(&recorded);
        if (recorded) settings.sparsity = size;  // a file without it is refused by the prune, with the reason
        settings.minmax = get("force_minmax") == QLatin1String("true");
    }
    m_panel->setSettings(settings);
    m_session.rememberScores(settings.scoringKey() + QLatin1Char('|') + m_session.imagesForJobs(), path);  // the file opened prunes now
    findCircuit(settings);
}

void CircuitController::showDetail(const engine::DetailSpec& spec) {
    const auto& shown = m_panel->view()->diagram();
    if (!shown.whole || !m_session.isOpen()) return;
    if (shown.whole != m_viewsOf) {  // another circuit: the views of the last one are no use
        m_views.clear();
        m_viewsOf = shown.whole;
    }
    m_views.emplace(engine::detailKey(shown.detail), shown);
    const std::string key = engine::detailKey(spec);
    if (auto it = m_views.find(key); it != m_views.end()) return m_panel->view()->setDiagram(it->second);
    engine::DiagramOptions options;
    options.showDeadEnds = m_panel->deadEndsShown();
    const std::string images = m_session.imagesForJobs().toStdString();
    const bool demoImages = m_session.usesDemoImages();
    const auto whole = shown.whole;
    const std::string mask = shown.mask;
    // A view of many units is shown at once and gets its pictures after (each unit's crop needs
    // its own gradient: seconds for a large block, see viewShown); a small one is drawn with them.
    m_jobs.start<engine::CircuitDiagram>(
        QStringLiteral("circuit-detail"), tr("Redraw the diagram"), tr("Cannot draw this view"),
        [ws = m_session.workspace(), whole, spec, options, images, demoImages](engine::JobContext& job) -> DiagramResult {
            if (auto st = ensureImages(images, demoImages); !st) return st.error();
            engine::CircuitDiagram circuit;
            circuit.whole = whole;
            return engine::redrawDiagram(*ws, circuit, spec, options, job, images, kPicturesWithLayout);
        },
        [this, whole, key, mask](engine::CircuitDiagram& view) -> QString {
            if (m_panel->view()->diagram().whole != whole) return {};  // another circuit is shown by now
            view.mask = mask;
            if (m_views.size() >= 32) m_views.clear();  // a bound on memory; views are cheap to lay out again
            m_views[key] = view;
            m_panel->view()->setDiagram(view);
            return {};
        });
}

void CircuitController::viewShown() {
    const auto& view = m_panel->view()->diagram();
    const auto mode = m_panel->pictureMode();
    const std::string key = picturedKey(view, mode);
    if (key == m_picturedKey) return;  // the same view drawn again
    const bool pictured = std::any_of(view.nodes.begin(), view.nodes.end(),
                                      [](const engine::DiagramNode& n) { return hasModelUnit(n) && !n.image.empty(); });
    if (mode == widgets::PictureMode::Crop && (pictured || unitCount(view) <= kPicturesWithLayout)) {
        m_picturedKey = key;  // laid out with its crops (a large view gets them after, once)
        m_picturedWhole = view.whole;
        return;
    }
    showPictures(mode);
}

void CircuitController::showPictures(widgets::PictureMode mode) {
    auto* shownView = m_panel->view();
    const engine::CircuitDiagram& shown = shownView->diagram();
    if (shown.nodes.empty() || !m_session.isOpen()) return;
    const std::string key = picturedKey(shown, mode);
    m_picturedKey = key;
    m_picturedWhole = shown.whole;  // held, so that no later circuit can take its address (the key)
    const std::string images = m_session.imagesForJobs().toStdString();
    const bool demoImages = m_session.usesDemoImages();
    const std::string maskPath = shown.mask;
    const engine::MaskHandle inMemory = m_session.maskInMemory(QString::fromStdString(maskPath));
    engine::VisSettings vis;
    vis.steps = m_visSteps;
    vis.cacheDir = m_visCache.isEmpty() ? engine::defaultVisCacheDir() : m_visCache.toStdString();
    size_t units = 0;
    for (const auto& n : shown.nodes) units += hasModelUnit(n) ? 1 : 0;
    if (mode == widgets::PictureMode::Visualisation)  // plain vertices until their own pictures come
        for (size_t i = 0; i < shown.nodes.size(); ++i)
            if (hasModelUnit(shown.nodes[i]) && !shown.nodes[i].image.empty()) shownView->setNodeImage(i, {});
    const QString title = mode == widgets::PictureMode::Visualisation ? tr("Visualise %L1 units").arg(qint64(units))
                          : mode == widgets::PictureMode::Kernel      ? tr("Kernel pictures")
                                                                      : tr("Pictures of %L1 units").arg(qint64(units));
    m_jobs.start<engine::CircuitDiagram>(
        QStringLiteral("circuit-pictures"), title, tr("Cannot draw the pictures"),
        [ws = m_session.workspace(), view = shown, mode, images, demoImages, maskPath, inMemory, vis,
         units](engine::JobContext& job) -> DiagramResult {
            engine::CircuitDiagram pictured = view;  // the same layout: pictures go inside the vertices
            for (auto& n : pictured.nodes)
                if (hasModelUnit(n)) n.image = {};
            if (mode == widgets::PictureMode::Kernel) {  // the first layer's filters only
                if (auto st = engine::addNodeImages(pictured, *ws, "", job); !st) return st.error();
                return pictured;
            }
            if (auto st = ensureImages(images, demoImages); !st) return st.error();
            if (mode == widgets::PictureMode::Crop) {
                if (auto st = engine::addNodeImages(pictured, *ws, images, job); !st) return st.error();
                return pictured;
            }
            if (!engine::readsImages(*ws)) return pictured;  // a token model: its units keep plain vertices
            engine::MaskHandle mask = inMemory;
            if (!mask) {
                auto read = engine::readMask(*ws, maskPath);
                if (!read) return read.error();
                mask = read.take();
            }
            auto settings = engine::visSettingsForImages(*ws, images, vis);  // the space the model reads
            if (!settings) return settings.error();
            size_t done = 0;
            const auto arrived = [&](size_t node, const engine::NodeImage& picture) {
                ++done;
                job.progress("visualise", double(done) / double(std::max<size_t>(1, units)),
                             ArrivedPicture{node, picture, done, units});
            };
            if (auto st = engine::addVisualisationPictures(pictured, *ws, mask, settings.value(), job, arrived); !st)
                return st.error();
            return pictured;
        },
        [this, key, mode](engine::CircuitDiagram& pictured) -> QString {
            if (key != m_picturedKey) return {};  // another view or mode by now
            auto* view = m_panel->view();
            for (size_t i = 0; i < pictured.nodes.size(); ++i)
                if (hasModelUnit(pictured.nodes[i])) view->setNodeImage(i, pictured.nodes[i].image);
            if (mode == widgets::PictureMode::Crop) m_views[engine::detailKey(pictured.detail)] = view->diagram();
            return {};
        },
        {},
        [this, key](std::vector<std::any>& partial) {
            if (key != m_picturedKey) return;
            const ArrivedPicture* last = nullptr;
            for (auto& p : partial)
                if (const auto* a = std::any_cast<ArrivedPicture>(&p)) {
                    m_panel->view()->setNodeImage(a->node, a->image);
                    last = a;
                }
            if (last) Q_EMIT statusMessage(tr("Visualised %L1 of %L2 units").arg(qint64(last->done)).arg(qint64(last->total)));
        });
}

void CircuitController::showUnitExamples(const QString& unit) {
    if (!m_session.isOpen()) return;
    QString layer;
    int64_t index = -1;
    if (!splitUnit(unit, layer, index) || m_session.workspace()->summary().indexOf(layer.toStdString()) < 0) return;  // an input channel: no examples
    const std::string mask = m_panel->view()->diagram().mask;
    const engine::MaskHandle inMemory = m_session.maskInMemory(QString::fromStdString(mask));
    const std::string images = m_session.imagesForJobs().toStdString();
    const bool demoImages = m_session.usesDemoImages();
    m_panel->unitExamples()->showPending(unit);
    using Rows = std::pair<std::vector<widgets::ExampleRow>, QString>;
    m_jobs.start<Rows>(
        QStringLiteral("unit-examples"), tr("Top images of %1").arg(unit), tr("Cannot find the examples"),
        [ws = m_session.workspace(), layer = layer.toStdString(), index, mask, inMemory, images,
         demoImages](engine::JobContext& job) -> engine::Result<Rows> {
            if (auto st = ensureImages(images, demoImages); !st) return st.error();
            engine::MaskHandle circuit = inMemory;
            if (!circuit && !mask.empty()) {
                auto read = engine::readMask(*ws, mask);
                if (!read) return read.error();
                circuit = read.take();
            }
            constexpr int64_t kTop = 8;
            Rows rows;
            for (const auto& [label, network] : {std::pair{tr("Model"), engine::MaskHandle{}}, std::pair{tr("Circuit"), circuit}}) {
                if (label == tr("Circuit") && !network) break;
                auto found = engine::topExamples(*ws, network, images, layer, {index}, kTop, job);
                if (!found) return found.error();
                widgets::ExampleRow row{label, {}};
                for (const auto& e : found.value().units[0].top) {
                    auto patch = engine::examplePatch(*ws, images, e);
                    if (!patch) return patch.error();
                    row.patches.push_back(patch.take());
                }
                rows.first.push_back(std::move(row));
                rows.second = QString::fromStdString(found.value().boxNote);
            }
            return rows;
        },
        [this, unit](Rows& rows) -> QString {
            m_panel->unitExamples()->showExamples(unit, rows.first, rows.second);
            return {};
        },
        [this](const QString&) { m_panel->unitExamples()->hide(); });
}

void CircuitController::chooseDiagramExport() {
    const QString path = QFileDialog::getSaveFileName(m_panel, tr("Export Diagram"), QStringLiteral("circuit.svg"),
                                                      tr("SVG (*.svg);;PNG (*.png);;PDF (*.pdf);;Graphviz DOT (*.dot)"));
    if (path.isEmpty()) return;
    int dpi = 150;
    if (path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
        bool ok = false;
        dpi = QInputDialog::getInt(m_panel, tr("Export Diagram"), tr("Resolution (dots per inch):"), 150, 72, 1200, 1, &ok);
        if (!ok) return;
    }
    exportDiagram(path, dpi);
}

void CircuitController::exportDiagram(const QString& path, double dpi) {
    const auto& diagram = m_panel->view()->diagram();
    if (diagram.nodes.empty()) return Q_EMIT errorRaised(tr("Nothing to export"), tr("There is no circuit diagram yet."));
    if (!path.endsWith(QLatin1String(".dot"), Qt::CaseInsensitive)) {
        // Pictures are drawn by the view, so SVG, PDF and PNG come from it: what you see is what you get.
        if (const QString error = m_panel->view()->exportTo(path, dpi); !error.isEmpty())
            return Q_EMIT errorRaised(tr("Cannot export the diagram"), error);
        return Q_EMIT statusMessage(tr("Wrote %1").arg(path));
    }
    m_jobs.start<engine::Done>(QStringLiteral("export"), tr("Export %1").arg(QFileInfo(path).fileName()), tr("Cannot export the diagram"),
                               [copy = diagram, file = path.toStdString(), dpi](engine::JobContext&) {
                                   return engine::exportDiagram(copy, {}, file, dpi);
                               },
                               [this, path](engine::Done&) -> QString {
                                   Q_EMIT statusMessage(tr("Wrote %1").arg(path));
                                   return {};
                               });
}

}  // namespace cx::app
