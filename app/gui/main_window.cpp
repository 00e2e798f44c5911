#include "app/gui/main_window.h"

#include <QCloseEvent>
#include <QGuiApplication>
#include <QDockWidget>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTreeWidgetItem>

#include "app/gui/circuit_controller.h"
#include "app/gui/compute_menu.h"
#include "app/gui/data_controller.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_menus.h"
#include "app/gui/masks_controller.h"
#include "app/gui/population_controller.h"
#include "app/gui/cluster_controller.h"
#include "app/gui/neuron_controller.h"
#include "app/gui/equivalence_controller.h"
#include "app/gui/probe_controller.h"
#include "app/gui/project_controller.h"
#include "app/gui/project_file.h"
#include "app/gui/recent_files.h"
#include "app/gui/session.h"
#include "app/gui/theme.h"
#include "app/gui/training_controller.h"
#include "app/resource_dir.h"
#include "engine/data/arithmetic.h"
#include "engine/model/model.h"
#include "widgets/circuit_panel.h"
#include "widgets/data_panel.h"
#include "widgets/jobs_panel.h"
#include "widgets/layer_details_view.h"
#include "widgets/layer_tree_view.h"
#include "widgets/mask_list.h"
#include "widgets/overlap_view.h"
#include "widgets/population_view.h"
#include "widgets/cluster_panel.h"
#include "widgets/neuron_panel.h"
#include "widgets/equivalence_view.h"
#include "widgets/probe_panel.h"
#include "widgets/training_panel.h"

namespace cx::app {
namespace {
using ModelResult = engine::Result<std::shared_ptr<engine::Model>>;

QDockWidget* dock(QMainWindow* window, const QString& title, const QString& name, QWidget* content) {
    auto* d = new QDockWidget(title, window);
    d->setObjectName(name);
    d->setWidget(content);
    return d;
}

QString absolute(const std::string& path) { return QFileInfo(QString::fromStdString(path)).absoluteFilePath(); }
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_session(std::make_unique<Session>()) {
    setAcceptDrops(true);
    setWindowIcon(QIcon(QStringLiteral(":/icons/circuit-explorer.svg")));
    m_jobs = new JobRunner(this);
    m_jobs->setErrorReporter([this](const QString& title, const QString& message) { showError(title, message); });
    buildViews();
    buildControllers();
    buildMenus();
    buildStatusBar();
    QSettings settings;
    // First start: fill a laptop-sized screen, leave a large one some room.
    const QSize screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableSize() : QSize(1280, 800);
    resize(screen.width() <= 1440 ? screen : QSize(1400, 900));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateTitle();
}

MainWindow::~MainWindow() = default;

const std::shared_ptr<engine::Model>& MainWindow::model() const { return m_session->model(); }
const std::shared_ptr<engine::Workspace>& MainWindow::workspace() const { return m_session->workspace(); }
QString MainWindow::modelPath() const { return m_session->modelPath(); }
QString MainWindow::projectPath() const { return m_projects->projectPath(); }
QStringList MainWindow::recentFiles() const { return m_recent ? m_recent->files() : QStringList(); }

void MainWindow::buildViews() {
    m_central = new QTabWidget(this);
    m_central->setDocumentMode(true);
    m_details = new widgets::LayerDetailsView(m_central);
    m_circuitPanel = new widgets::CircuitPanel(m_central);
    m_trainingPanel = new widgets::TrainingPanel(m_central);
    m_overlap = new widgets::OverlapView(m_central);
    m_population = new widgets::PopulationView(m_central);
    m_probePanel = new widgets::ProbePanel(m_central);
    m_clusterPanel = new widgets::ClusterPanel(m_central);
    m_neuronPanel = new widgets::NeuronPanel(m_central);
    m_equivalenceView = new widgets::EquivalenceView(m_central);
    m_central->addTab(m_details, tr("Model"));
    m_central->addTab(m_circuitPanel, tr("Circuit"));
    m_central->addTab(m_population, tr("Population"));
    m_central->addTab(m_probePanel, tr("Probes"));
    m_central->addTab(m_clusterPanel, tr("Clusters"));
    m_central->setTabToolTip(m_central->indexOf(m_clusterPanel), tr("Polysemantic units: a unit's top patches in clusters, a subcircuit per cluster"));
    m_central->addTab(m_neuronPanel, tr("Neurons"));
    m_central->setTabToolTip(m_central->indexOf(m_neuronPanel),
                             tr("Language-model neurons: top examples, minimal activating examples, local search, behaviour graph"));
    m_central->addTab(m_trainingPanel, tr("Mask Training"));
    m_central->addTab(m_overlap, tr("Overlap"));
    m_central->addTab(m_equivalenceView, tr("Equivalence"));
    m_central->setTabToolTip(m_central->indexOf(m_equivalenceView),
                             tr("Which units of one circuit have an equivalent in another (excited states, seed 004)"));
    setCentralWidget(m_central);

    m_tree = new widgets::LayerTreeView(this);
    m_jobsPanel = new widgets::JobsPanel(this);
    m_maskList = new widgets::MaskList(this);
    m_dataPanel = new widgets::DataPanel(this);
    auto* modelDock = dock(this, tr("Model"), QStringLiteral("modelDock"), m_tree);
    auto* jobsDock = dock(this, tr("Jobs"), QStringLiteral("jobsDock"), m_jobsPanel);
    auto* masksDock = dock(this, tr("Masks"), QStringLiteral("masksDock"), m_maskList);
    auto* dataDock = dock(this, tr("Data"), QStringLiteral("dataDock"), m_dataPanel);
    addDockWidget(Qt::LeftDockWidgetArea, modelDock);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock);
    addDockWidget(Qt::LeftDockWidgetArea, masksDock);
    tabifyDockWidget(masksDock, dataDock);
    dataDock->raise();
    resizeDocks({modelDock}, {250}, Qt::Horizontal);
    resizeDocks({jobsDock}, {110}, Qt::Vertical);

    connect(m_jobs, &JobRunner::jobStarted, m_jobsPanel, &widgets::JobsPanel::addJob);
    connect(m_jobs, &JobRunner::jobProgress, m_jobsPanel, &widgets::JobsPanel::setProgress);
    connect(m_jobs, &JobRunner::jobFinished, this, [this](int id, bool cancelled, const QString& error) {
        using Outcome = widgets::JobsPanel::Outcome;
        m_jobsPanel->finishJob(id, cancelled ? Outcome::Cancelled : error.isEmpty() ? Outcome::Succeeded : Outcome::Failed, error);
    });
    connect(m_jobsPanel, &widgets::JobsPanel::cancelRequested, m_jobs, &JobRunner::cancel);
    connect(m_tree, &widgets::LayerTreeView::layerSelected, m_details, &widgets::LayerDetailsView::showLayer);
}

void MainWindow::buildControllers() {
    Session& s = *m_session;
    m_circuits = new CircuitController(s, *m_jobs, m_circuitPanel, m_maskList, this);
    m_training = new TrainingController(s, *m_jobs, m_trainingPanel, this);
    m_masks = new MasksController(s, *m_jobs, m_maskList, m_overlap, this);
    m_data = new DataController(s, *m_jobs, m_dataPanel, this);
    m_populations = new PopulationController(s, *m_jobs, m_population, this);
    m_probes = new ProbeController(s, *m_jobs, m_probePanel, m_circuitPanel, this);
    m_clusters = new ClusterController(s, *m_jobs, m_clusterPanel, m_circuitPanel, m_maskList, this);
    m_neurons = new NeuronController(s, *m_jobs, m_neuronPanel, m_maskList, this);
    m_equivalence = new EquivalenceController(s, *m_jobs, m_equivalenceView, m_maskList, this);
    m_projects = new ProjectController(s, *m_jobs,
                                       {m_circuitPanel, m_trainingPanel, m_maskList, m_central, m_circuits, m_data, m_population, m_populations},
                                       this);
    for (Controller* c : std::initializer_list<Controller*>{m_circuits, m_training, m_masks, m_data, m_projects, m_populations, m_probes, m_clusters, m_neurons, m_equivalence}) wireController(c);

    connect(m_maskList, &widgets::MaskList::showRequested, m_circuits, [this](const QString& path) { m_circuits->openMask(path, false); });
    connect(m_training, &TrainingController::maskTrained, m_masks, &MasksController::addTrained);
    connect(m_neurons, &NeuronController::showCircuitRequested, this, [this](const QString& path) {
        m_circuits->openMask(path, false);
        m_central->setCurrentWidget(m_circuitPanel);
    });
    connect(m_tree, &widgets::LayerTreeView::layerSelected, m_data, &DataController::layerSelected);
    connect(m_data, &DataController::unitPicked, this, [this](const QString& target) {
        m_circuitPanel->setTarget(target);
        m_trainingPanel->setDefaultPreserve(target);
        m_central->setCurrentWidget(m_circuitPanel);
        statusBar()->showMessage(tr("Target %1: press Find Circuit or Sweep").arg(target), 5000);
    });
    // A population runs with the Circuit tab's objective and granularity; its units open there.
    connect(m_population, &widgets::PopulationView::runRequested, m_populations,
            [this](const QString& layer, const QString& units, const std::vector<engine::Criterion>& criteria) {
                m_populations->run(layer, units, criteria, m_circuitPanel->settings());
            });
    connect(m_populations, &PopulationController::circuitRequested, this, [this](const widgets::CircuitSettings& settings) {
        m_circuitPanel->setSettings(settings);
        m_trainingPanel->setDefaultPreserve(settings.target);
        m_circuits->findCircuit(settings);
    });
    connect(m_tree, &widgets::LayerTreeView::layerSelected, m_population, [this](int index) {
        if (m_session->isOpen() && index >= 0 && size_t(index) < model()->summary().layers.size())
            m_population->setLayer(QString::fromStdString(model()->summary().layers[size_t(index)].name));
    });
    connect(m_projects, &ProjectController::modelRequested, this, &MainWindow::openModel);
    connect(m_projects, &ProjectController::layerRequested, this, &MainWindow::selectLayer);
    connect(m_projects, &ProjectController::projectChanged, this, [this](const QString& path) {
        if (!path.isEmpty()) m_recent->add(path);
        updateTitle();
    });
}

void MainWindow::wireController(Controller* controller) {
    connect(controller, &Controller::errorRaised, this, &MainWindow::showError);
    connect(controller, &Controller::statusMessage, this, [this](const QString& text) { statusBar()->showMessage(text, 5000); });
    connect(controller, &Controller::viewRequested, m_central, &QTabWidget::setCurrentWidget);
}

void MainWindow::buildMenus() {
    m_deviceLabel = newDeviceLabel(this);
    m_recent = buildMainMenus(*this, m_deviceLabel);
    connect(m_recent, &RecentFiles::chosen, this, &MainWindow::openFile);
}

void MainWindow::buildStatusBar() {
    statusBar()->addPermanentWidget(new MemoryLabel(this));
    statusBar()->addPermanentWidget(m_deviceLabel);
}

void MainWindow::openModel(const QString& path) {
    statusBar()->showMessage(tr("Loading %1\u2026").arg(QFileInfo(path).fileName()));
    m_jobs->start<std::shared_ptr<engine::Model>>(
        QStringLiteral("load-model"), tr("Load %1").arg(QFileInfo(path).fileName()), QString(),  // reported below, then signalled
        [file = path.toStdString()](engine::JobContext& job) -> ModelResult {
            job.progress("loading", 0.0);
            return engine::Model::load(file);
        },
        [this, path](std::shared_ptr<engine::Model>& loaded) -> QString {
            setModel(loaded, path);
            return {};
        },
        [this](const QString& message) {
            m_projects->dropPending();
            statusBar()->clearMessage();
            showError(tr("Cannot open model"), message);
            Q_EMIT modelLoadFailed(message);
        });
}

void MainWindow::openDemoModel() { openModel(QString::fromStdString(demoModelPath())); }

void MainWindow::openFile(const QString& path) {
    if (path.endsWith(QLatin1String(".cxproj"), Qt::CaseInsensitive)) return m_projects->openProject(path);
    if (path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive) && m_session->isOpen()) return m_circuits->openMask(path);
    openModel(path);
}

void MainWindow::closeModel() {
    m_session->close();  // the session's circuits go with their model, and so does their list
    m_maskList->clear();
    m_projects->modelClosed();
    m_tree->clearModel();
    m_details->clearModel();
    m_populations->modelOpened();
    m_clusters->modelOpened();
    m_neurons->modelOpened();
    m_equivalence->modelOpened();
    updateTitle();
    Q_EMIT modelChanged();
}

bool MainWindow::selectLayer(const QString& name) {
    if (!m_session->isOpen()) return false;
    const int index = model()->summary().indexOf(name.toStdString());
    if (index < 0) {
        statusBar()->showMessage(tr("No layer named %1").arg(name), 5000);
        return false;
    }
    m_tree->selectLayer(index);
    m_tree->layerItem(index)->setExpanded(true);
    return true;
}

void MainWindow::setModel(std::shared_ptr<engine::Model> loaded, const QString& path) {
    if (const ProjectState* project = m_projects->pending()) m_session->setDataPath(project->data);
    m_session->open(std::move(loaded), path);
    const auto& summary = model()->summary();
    const QString name = QFileInfo(path).fileName();
    m_tree->setModel(summary, name);
    m_details->setModel(summary);
    m_recent->add(modelPath());
    QSettings().setValue(QStringLiteral("session/lastModel"), modelPath());
    statusBar()->showMessage(tr("Opened %1: %2 layers").arg(name).arg(summary.layers.size()), 5000);
    const bool transformer = modelPath() == absolute(demoTransformerPath());
    m_training->modelOpened(transformer);
    m_data->modelOpened();
    m_populations->modelOpened();
    m_clusters->modelOpened();
    m_neurons->modelOpened();
    m_equivalence->modelOpened();
    m_maskList->clear();
    // What circuits will run on, previewed: the demo transformer's own held-out prompts unless
    // other data was chosen; other models never inherit those prompts.
    const QString data = m_session->dataPath();
    const bool prompts = engine::parseArithmeticOp(data.toStdString()).has_value();
    if (transformer && (data.isEmpty() || prompts)) m_data->setData(prompts ? data : QStringLiteral("addition"));
    else m_data->setData(prompts ? QString() : data);
    Q_EMIT modelChanged();
    const bool project = m_projects->modelOpened();
    updateTitle();
    if (project || modelPath() != absolute(demoModelPath())) return;
    // The demo opens straight onto a circuit: features.conv4:27 (a curve detector), 10% kept.
    auto settings = m_circuitPanel->settings();
    settings.target = QStringLiteral("features.conv4:27");
    m_circuitPanel->setSettings(settings);
    m_trainingPanel->setDefaultPreserve(settings.target);
    m_circuits->findCircuit(settings);
    using engine::Criterion;
    m_circuits->runSweep(settings, {Criterion::ActGrad, Criterion::Snip, Criterion::Magnitude, Criterion::Random});
}

void MainWindow::showError(const QString& title, const QString& message) {
    m_lastError = message;
    if (!m_showErrorDialogs) return;
    auto* box = new QMessageBox(QMessageBox::Critical, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::updateTitle() {
    QString title = tr("Circuit Explorer");
    if (!modelPath().isEmpty()) title = tr("%1 \u2014 %2").arg(QFileInfo(modelPath()).fileName(), title);
    if (!projectPath().isEmpty()) title = tr("%1 \u2014 %2").arg(QFileInfo(projectPath()).fileName(), title);
    setWindowTitle(title);
}

void MainWindow::setDarkTheme(bool dark) {
    QSettings().setValue(QStringLiteral("view/dark"), dark);
    applyDarkTheme(dark);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_jobs->cancelAll();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (event->mimeData()->hasUrls() && !urls.isEmpty() && urls.first().isLocalFile()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) openFile(urls.first().toLocalFile());
    event->acceptProposedAction();
}

QWidget* MainWindow::currentTab() const { return m_central->currentWidget(); }

}  // namespace cx::app
