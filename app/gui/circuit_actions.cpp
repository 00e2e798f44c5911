// MainWindow's circuit work: finding a circuit for a target, preservation sweeps, opening a
// mask, exporting the diagram. The engine runs in the JobRunner; the CircuitPanel only shows results.
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>

#include "app/gui/demo_images.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/circuit_job.h"
#include "engine/pruning.h"
#include "widgets/curve_view.h"
#include "widgets/diagram_view.h"
#include "widgets/layer_tree_view.h"
#include "widgets/mask_list.h"
#include "widgets/scatter_view.h"

namespace cx::app {
namespace {

using FoundResult = engine::Result<engine::FoundCircuit>;
using DiagramResult = engine::Result<engine::CircuitDiagram>;
using SweepResult = engine::Result<std::vector<engine::CurvePoint>>;

QString countsText(const engine::CircuitDiagram& d) {
    int64_t dead = 0;
    for (const auto& e : d.edges) dead += e.dead;
    return QObject::tr("%1 units, %2 kernel edges%3").arg(d.nodes.size()).arg(d.edges.size() - size_t(dead))
        .arg(dead ? QObject::tr(" (+%1 dead ends)").arg(dead) : QString());
}

engine::Status ensureImages(const std::string& path, bool demo) { return demo ? ensureDemoImages(path) : engine::Done{}; }

// Find Circuit on the open model's workspace, in memory; then the session's copies of the scores
// (when new) and the mask go into `workDir`, for the Masks panel's Save and for projects.
FoundResult findSessionCircuit(engine::Workspace& ws, const engine::CircuitSpec& spec, engine::ScoresHandle scores,
                               const std::string& scoresFile, const std::string& workDir, engine::JobContext& job) {
    const bool onFile = !scoresFile.empty() && QFileInfo::exists(QString::fromStdString(scoresFile));
    if (!scores && onFile) {
        auto read = engine::readScores(ws, scoresFile);
        if (!read) return read.error();
        scores = read.take();
    }
    auto found = engine::findCircuit(ws, spec, job, scores);
    if (!found) return found;
    auto& f = found.value();
    if (!QDir().mkpath(QString::fromStdString(workDir))) return engine::invalidInput("cannot create " + workDir);
    f.scoresFile = onFile ? scoresFile : workDir + "/scores.safetensors";
    if (!onFile)
        if (auto st = engine::writeScores(ws, *f.scores, f.scoresFile); !st) return st.error();
    f.maskFile = workDir + "/mask.safetensors";
    if (auto st = engine::writeMask(ws, *f.mask, f.maskFile); !st) return st.error();
    f.diagram.mask = f.maskFile;
    return found;
}

}  // namespace

void MainWindow::buildCircuitTab() {
    m_circuit = new widgets::CircuitPanel(m_central);
    m_central->addTab(m_circuit, tr("Circuit"));
    connect(m_circuit, &widgets::CircuitPanel::findRequested, this,
            qOverload<const widgets::CircuitSettings&>(&MainWindow::findCircuit));
    connect(m_circuit, &widgets::CircuitPanel::sweepRequested, this, &MainWindow::runSweep);
    connect(m_circuit, &widgets::CircuitPanel::exportRequested, this, &MainWindow::chooseDiagramExport);
    connect(m_circuit, &widgets::CircuitPanel::deadEndsToggled, this, [this] {
        const QString shown = QString::fromStdString(m_circuit->view()->diagram().mask);
        if (!shown.isEmpty() && QFileInfo::exists(shown)) openMask(shown, false);
    });
    connect(m_circuit->curves(), &widgets::CurveView::pointClicked, this, [this](engine::Criterion criterion, double sparsity) {
        auto settings = m_sweepSettings;
        settings.criterion = criterion;
        settings.sparsity = sparsity;
        m_circuit->setSettings(settings);
        findCircuit(settings);
    });
}

void MainWindow::chooseDiagramExport() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Diagram"), QStringLiteral("circuit.svg"),
                                                      tr("SVG (*.svg);;PNG (*.png);;PDF (*.pdf);;Graphviz DOT (*.dot)"));
    if (path.isEmpty()) return;
    int dpi = 150;
    if (path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) {
        bool ok = false;
        dpi = QInputDialog::getInt(this, tr("Export Diagram"), tr("Resolution (dots per inch):"), 150, 72, 1200, 1, &ok);
        if (!ok) return;
    }
    exportDiagram(path, dpi);
}

QString MainWindow::imagesForJobs() {
    if (!m_dataPath.isEmpty()) return m_dataPath;
    return m_workDir->filePath(QStringLiteral("shapes.safetensors"));
}

void MainWindow::findCircuit(const QString& target, double sparsity) {
    auto settings = m_circuit->settings();
    settings.target = target;
    settings.sparsity = sparsity;
    findCircuit(settings);
}

void MainWindow::findCircuit(const widgets::CircuitSettings& settings) {
    if (!m_model) return showError(tr("No model"), tr("Open a model before searching for a circuit."));
    if (const QString problem = settings.targetProblem(); !problem.isEmpty()) return showError(tr("No target"), problem);
    const QString images = imagesForJobs();
    const QString scoresKey = settings.scoringKey() + QLatin1Char('|') + images;
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
    spec.diagram.showDeadEnds = m_circuit->deadEndsShown();
    // Scores of this session are in the workspace's memory; a scores file (opened, or from a
    // project) is read once and then kept in memory too.
    const engine::ScoresHandle inMemory = m_scoresInMemory.value(scoresKey);
    const std::string reuseFile = m_scoresByKey.value(scoresKey).toStdString();
    const std::string workDir = m_workDir->filePath(QStringLiteral("circuit%1").arg(++m_circuitRuns)).toStdString();
    const bool demoImages = m_dataPath.isEmpty();
    m_circuit->setBusy(true);
    m_central->setCurrentWidget(m_circuit);
    m_jobs->start<engine::FoundCircuit>(
        QStringLiteral("circuit"), tr("Circuit of %1").arg(settings.targetLabel()), tr("Cannot find the circuit"),
                  [ws = m_workspace, spec, inMemory, reuseFile, workDir, demoImages](engine::JobContext& job) -> FoundResult {
                      if (auto st = ensureImages(spec.images, demoImages); !st) return st.error();
                      return findSessionCircuit(*ws, spec, inMemory, reuseFile, workDir, job);
                  },
                  [this, settings, scoresKey](engine::FoundCircuit& f) -> QString {
                      m_circuit->setBusy(false);
                      m_scoresByKey.insert(scoresKey, QString::fromStdString(f.scoresFile));
                      m_scoresInMemory.insert(scoresKey, f.scores);
                      m_sessionMasks.insert(QString::fromStdString(f.maskFile), f.mask);
                      m_circuit->setRelevantCount(f.prune.relevant);
                      const QString how = widgets::CurveView::criterionLabel(settings.criterion);
                      m_circuit->showDiagram(
                          f.diagram, tr("%1 \u2014 %2, %3% of %4 relevant kept (%5 effective): %6")
                                         .arg(settings.targetLabel(), how)
                                         .arg(100.0 * settings.sparsity, 0, 'g', 3)
                                         .arg(f.prune.relevant)
                                         .arg(f.prune.effectiveKept)
                                         .arg(f.prune.disconnected ? tr("disconnected") : countsText(f.diagram)));
                      m_circuit->scatter()->setData(f.activations.original, f.activations.circuit, f.activations.pearson,
                                                    tr("%1 at %2%").arg(how).arg(100.0 * settings.sparsity, 0, 'g', 3));
                      m_circuit->curves()->setCurrent(settings.criterion, settings.sparsity);
                      m_masks->addMask({tr("%1 %2% %3").arg(how).arg(100.0 * settings.sparsity, 0, 'g', 3).arg(settings.targetLabel()),
                                        QString::fromStdString(f.maskFile), QStringLiteral("circuit"),
                                        tr("%1 of %2").arg(f.prune.kept).arg(f.prune.relevant), QString::fromStdString(f.scoresFile)});
                      return {};
                  },
                  [this](const QString&) { m_circuit->setBusy(false); });
}

void MainWindow::runSweep(const widgets::CircuitSettings& settings, const std::vector<engine::Criterion>& criteria) {
    if (!m_model) return showError(tr("No model"), tr("Open a model before sweeping."));
    if (const QString problem = settings.targetProblem(); !problem.isEmpty()) return showError(tr("No target"), problem);
    if (criteria.empty()) return showError(tr("No criteria"), tr("Tick at least one criterion to sweep."));
    engine::SweepRequest request;
    request.images = imagesForJobs().toStdString();
    request.target = settings.target.toStdString();
    request.directionFile = settings.directionFile.toStdString();
    request.objective = settings.objective.toStdString();
    request.granularity = settings.granularity;
    request.bias = settings.bias;
    request.minmax = settings.minmax;
    request.criteria = criteria;
    const bool demoImages = m_dataPath.isEmpty();
    m_sweepSettings = settings;
    auto* curves = m_circuit->curves();
    curves->clear();
    curves->setCaption(tr("Sweeping %1\u2026").arg(settings.targetLabel()));
    m_jobs->start<std::vector<engine::CurvePoint>>(
        QStringLiteral("sweep"), tr("Sweep %1").arg(settings.targetLabel()), tr("Cannot sweep"),
                  [ws = m_workspace, request, demoImages](engine::JobContext& job) -> SweepResult {
                      if (auto st = ensureImages(request.images, demoImages); !st) return st.error();
                      return engine::runSweep(*ws, request, job);
                  },
                  [this, curves, settings, criteria](std::vector<engine::CurvePoint>& points) -> QString {
                      curves->addPoints(points);
                      curves->setCaption(tr("%1: %2 criteria \u00d7 %3 sparsities. Hollow: effective sparsity; ringed: the circuit shown. Click a point to open its circuit.")
                                             .arg(settings.targetLabel())
                                             .arg(criteria.size())
                                             .arg(points.size() / std::max<size_t>(1, criteria.size())));
                      const auto shown = m_circuit->settings();
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

void MainWindow::openMask(const QString& path, bool addToList) {
    if (!m_model) return showError(tr("No model"), tr("Open the model the mask was made for first."));
    const std::string mask = path.toStdString();
    m_central->setCurrentWidget(m_circuit);
    engine::DiagramOptions options;
    options.showDeadEnds = m_circuit->deadEndsShown();
    const std::string images = imagesForJobs().toStdString();  // for the vertices' top-activating crops
    const bool demoImages = m_dataPath.isEmpty();
    const engine::MaskHandle inMemory = m_sessionMasks.value(path);  // a circuit of this session: not read again
    m_jobs->start<engine::CircuitDiagram>(
        QStringLiteral("circuit"), tr("Diagram of %1").arg(QFileInfo(path).fileName()), tr("Cannot draw the mask"),
                  [ws = m_workspace, inMemory, mask, options, images, demoImages](engine::JobContext& job) -> DiagramResult {
                      if (auto st = ensureImages(images, demoImages); !st) return st.error();
                      engine::MaskHandle drawn = inMemory;
                      if (!drawn) {
                          auto read = engine::readMask(*ws, mask);
                          if (!read) return read.error();
                          drawn = read.take();
                      }
                      auto diagram = engine::loadDiagram(*ws, *drawn, options, job, images);
                      if (diagram) diagram.value().mask = mask;
                      return diagram;
                  },
                  [this, path, addToList](engine::CircuitDiagram& loaded) -> QString {
                      const QString name = m_masks->nameOf(path);
                      const bool sameMask = QString::fromStdString(m_circuit->view()->diagram().mask) == path;
                      if (sameMask) {  // drawn again (dead ends toggled): the summary, scatter and curve ring stay
                          m_circuit->view()->setDiagram(loaded);
                          return {};
                      }
                      m_circuit->showDiagram(loaded, tr("%1: %2").arg(name.isEmpty() ? QFileInfo(path).fileName() : name,
                                                                             countsText(loaded)));
                      m_circuit->scatter()->clear();
                      m_circuit->curves()->clearCurrent();
                      if (addToList && m_masks->nameOf(path).isEmpty())
                          m_masks->addMask({QFileInfo(path).completeBaseName(), path, QStringLiteral("opened"), countsText(loaded), {}});
                      return {};
                  });
}

void MainWindow::exportDiagram(const QString& path, double dpi) {
    const auto& diagram = m_circuit->view()->diagram();
    if (diagram.nodes.empty()) return showError(tr("Nothing to export"), tr("There is no circuit diagram yet."));
    if (!path.endsWith(QLatin1String(".dot"), Qt::CaseInsensitive)) {
        // Pictures are drawn by the view, so SVG, PDF and PNG come from it: what you see is what you get.
        if (const QString error = m_circuit->view()->exportTo(path, dpi); !error.isEmpty())
            return showError(tr("Cannot export the diagram"), error);
        statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
        return;
    }
    auto copy = diagram;
    const std::string file = path.toStdString();
    m_jobs->start<engine::Done>(QStringLiteral("export"), tr("Export %1").arg(QFileInfo(path).fileName()), tr("Cannot export the diagram"),
                                [copy, file, dpi](engine::JobContext&) { return engine::exportDiagram(copy, {}, file, dpi); },
                                [this, path](engine::Done&) -> QString {
                                    statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
                                    return {};
                                });
}

}  // namespace cx::app
