// MainWindow's circuit work: finding a circuit for a target, opening a mask, exporting the
// diagram. The engine runs in the JobRunner; the CircuitPanel only shows results.
#include <QFileDialog>
#include <QFileInfo>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>

#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/circuit_job.h"
#include "widgets/circuit_panel.h"
#include "widgets/diagram_view.h"
#include "widgets/layer_tree_view.h"

namespace cx::app {
namespace {

using FoundResult = engine::Result<engine::FoundCircuit>;
using DiagramResult = engine::Result<engine::CircuitDiagram>;

QString countsText(const engine::CircuitDiagram& d) {
    int64_t dead = 0;
    for (const auto& e : d.edges) dead += e.dead;
    return QObject::tr("%1 units, %2 kernel edges%3").arg(d.nodes.size()).arg(d.edges.size() - size_t(dead))
        .arg(dead ? QObject::tr(" (+%1 dead ends)").arg(dead) : QString());
}

}  // namespace

void MainWindow::buildCircuitTab() {
    m_circuit = new widgets::CircuitPanel(m_central);
    m_central->addTab(m_circuit, tr("Circuit"));
    connect(m_circuit, &widgets::CircuitPanel::findRequested, this, &MainWindow::findCircuit);
    connect(m_circuit, &widgets::CircuitPanel::exportRequested, this, &MainWindow::chooseDiagramExport);
}

void MainWindow::chooseDiagramExport() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Diagram"), QStringLiteral("circuit.svg"),
                                                      tr("SVG (*.svg);;PNG (*.png);;PDF (*.pdf);;Graphviz DOT (*.dot)"));
    if (!path.isEmpty()) exportDiagram(path);
}

void MainWindow::findCircuit(const QString& target, double sparsity) {
    if (!m_model) return showError(tr("No model"), tr("Open a model before searching for a circuit."));
    if (!target.contains(QLatin1Char(':')))
        return showError(tr("No target unit"), tr("Give the target as layer:unit, e.g. features.conv4:27."));
    if (!m_workDir) m_workDir = std::make_unique<QTemporaryDir>();
    engine::FindCircuitRequest request;
    request.model = m_modelPath.toStdString();
    request.target = target.toStdString();
    request.sparsity = sparsity;
    request.workDir = (m_workDir->path() + QStringLiteral("/circuit%1").arg(++m_circuitRuns)).toStdString();
    m_circuit->setBusy(true);
    m_central->setCurrentWidget(m_circuit);
    m_jobs->start(QStringLiteral("circuit"), tr("Circuit of %1").arg(target),
                  [request](engine::JobContext& job) -> std::any { return FoundResult(engine::findCircuit(request, job)); },
                  [this, target, sparsity](std::any& result) -> QString {
                      m_circuit->setBusy(false);
                      auto& found = std::any_cast<FoundResult&>(result);
                      if (!found) {
                          const QString message = QString::fromStdString(found.error().message);
                          showError(tr("Cannot find the circuit"), message);
                          return message;
                      }
                      const auto& f = found.value();
                      m_circuit->showDiagram(
                          f.diagram, tr("%1 \u2014 ActGrad, %2% of %3 relevant kernels kept (%4 effective): %5")
                                         .arg(target)
                                         .arg(100.0 * sparsity, 0, 'g', 3)
                                         .arg(f.prune.relevant)
                                         .arg(f.prune.effectiveKept)
                                         .arg(f.prune.disconnected ? tr("disconnected") : countsText(f.diagram)));
                      return {};
                  });
}

void MainWindow::openMask(const QString& path) {
    if (!m_model) return showError(tr("No model"), tr("Open the model the mask was made for first."));
    const std::string model = m_modelPath.toStdString(), mask = path.toStdString();
    m_central->setCurrentWidget(m_circuit);
    m_jobs->start(QStringLiteral("circuit"), tr("Diagram of %1").arg(QFileInfo(path).fileName()),
                  [model, mask](engine::JobContext& job) -> std::any {
                      engine::DiagramOptions options;
                      options.showDeadEnds = true;
                      return DiagramResult(engine::loadDiagram(model, mask, options, job));
                  },
                  [this, path](std::any& result) -> QString {
                      auto& loaded = std::any_cast<DiagramResult&>(result);
                      if (!loaded) {
                          const QString message = QString::fromStdString(loaded.error().message);
                          showError(tr("Cannot draw the mask"), message);
                          return message;
                      }
                      m_circuit->showDiagram(loaded.value(), tr("%1: %2").arg(QFileInfo(path).fileName(), countsText(loaded.value())));
                      return {};
                  });
}

void MainWindow::exportDiagram(const QString& path, double dpi) {
    const auto& diagram = m_circuit->view()->diagram();
    if (diagram.nodes.empty()) return showError(tr("Nothing to export"), tr("There is no circuit diagram yet."));
    auto copy = diagram;
    const std::string file = path.toStdString();
    m_jobs->start(QStringLiteral("export"), tr("Export %1").arg(QFileInfo(path).fileName()),
                  [copy, file, dpi](engine::JobContext&) -> std::any {
                      return engine::Status(engine::exportDiagram(copy, {}, file, dpi));
                  },
                  [this, path](std::any& result) -> QString {
                      auto& st = std::any_cast<engine::Status&>(result);
                      if (!st) {
                          const QString message = QString::fromStdString(st.error().message);
                          showError(tr("Cannot export the diagram"), message);
                          return message;
                      }
                      statusBar()->showMessage(tr("Wrote %1").arg(path), 5000);
                      return {};
                  });
}

}  // namespace cx::app
