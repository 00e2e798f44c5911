#include "app/gui/main_window.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QToolBar>
#include <QTreeWidgetItem>

#include "app/gui/job_runner.h"
#include "app/gui/project_file.h"
#include "app/resource_dir.h"
#include "engine/arithmetic.h"
#include "engine/runtime.h"
#include "widgets/data_panel.h"
#include "widgets/form_helpers.h"
#include "widgets/jobs_panel.h"
#include "widgets/layer_details_view.h"
#include "widgets/layer_tree_view.h"
#include "widgets/mask_list.h"
#include "widgets/training_panel.h"

namespace cx::app {
namespace {
constexpr int kMaxRecent = 8;
using ModelResult = engine::Result<std::shared_ptr<engine::Model>>;
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setAcceptDrops(true);
    setWindowIcon(QIcon(QStringLiteral(":/icons/circuit-explorer.svg")));
    m_jobs = new JobRunner(this);
    m_jobs->setErrorReporter([this](const QString& title, const QString& message) { showError(title, message); });
    m_workDir = std::make_unique<QTemporaryDir>();
    m_central = new QTabWidget(this);
    m_central->setDocumentMode(true);
    m_details = new widgets::LayerDetailsView(m_central);
    m_central->addTab(m_details, tr("Model"));
    setCentralWidget(m_central);
    buildCircuitTab();
    buildTrainingTab();
    buildDocks();
    buildMaskViews();
    buildMenus();
    buildStatusBar();
    wireJobs();
    QSettings settings;
    // First start: fill a laptop-sized screen, leave a large one some room.
    const QSize screen = QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableSize() : QSize(1280, 800);
    resize(screen.width() <= 1440 ? screen : QSize(1400, 900));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    updateTitle();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildDocks() {
    m_tree = new widgets::LayerTreeView(this);
    auto* modelDock = new QDockWidget(tr("Model"), this);
    modelDock->setObjectName(QStringLiteral("modelDock"));
    modelDock->setWidget(m_tree);
    addDockWidget(Qt::LeftDockWidgetArea, modelDock);
    m_jobsPanel = new widgets::JobsPanel(this);
    auto* jobsDock = new QDockWidget(tr("Jobs"), this);
    jobsDock->setObjectName(QStringLiteral("jobsDock"));
    jobsDock->setWidget(m_jobsPanel);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock);
    resizeDocks({modelDock}, {250}, Qt::Horizontal);
    resizeDocks({jobsDock}, {110}, Qt::Vertical);
    connect(m_tree, &widgets::LayerTreeView::layerSelected, m_details, &widgets::LayerDetailsView::showLayer);
}

void MainWindow::buildMenus() {
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(widgets::appIcon(QStringLiteral("open-model"), QStyle::SP_DialogOpenButton), tr("&Open Model\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open TorchScript Model"), QString(),
                                                          tr("TorchScript models (*.pt *.pth *.ptl *.zip);;All files (*)"));
        if (!path.isEmpty()) openModel(path);
    });
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(tr("Open a model saved with torch.jit.save"));
    auto* demo = file->addAction(widgets::appIcon(QStringLiteral("demo-model"), QStyle::SP_ComputerIcon), tr("Open &Demo Model"), this, &MainWindow::openDemoModel);
    demo->setShortcut(QKeySequence(tr("Ctrl+Shift+D")));
    demo->setStatusTip(tr("Open the built-in shapes CNN"));
    file->addAction(tr("Open Demo &Transformer"), this, [this] { openModel(QString::fromStdString(demoTransformerPath())); })
        ->setStatusTip(tr("Open the built-in 2-layer transformer trained on two-digit addition and multiplication"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    rebuildRecentMenu();
    file->addSeparator();
    auto* openProjectAction = file->addAction(tr("Open &Project\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Project"), QString(), tr("Circuit Explorer projects (*.cxproj)"));
        if (!path.isEmpty()) openProject(path);
    });
    openProjectAction->setShortcut(QKeySequence(tr("Ctrl+Shift+O")));
    openProjectAction->setStatusTip(tr("Reopen a saved session: model, images, masks, curves and settings"));
    auto* saveProjectAction = file->addAction(widgets::appIcon(QStringLiteral("save-project"), QStyle::SP_DriveFDIcon), tr("&Save Project"), this,
                                              [this] { chooseProjectSave(false); });
    saveProjectAction->setShortcut(QKeySequence::Save);
    saveProjectAction->setStatusTip(tr("Save the session (model, images, named masks, curves, settings) to a project file"));
    file->addAction(tr("Save Project &As\u2026"), this, [this] { chooseProjectSave(true); })->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    auto* mask = file->addAction(widgets::appIcon(QStringLiteral("open-mask"), QStyle::SP_FileDialogContentsView), tr("Open &Mask\u2026"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open Circuit Mask"), QString(), tr("Masks (*.safetensors)"));
        if (!path.isEmpty()) openMask(path);
    });
    mask->setShortcut(QKeySequence(tr("Ctrl+M")));
    mask->setStatusTip(tr("Draw the circuit of a mask file made for the open model"));
    file->addAction(tr("Open &Scores\u2026"), this, [this] {
           const QString path = QFileDialog::getOpenFileName(this, tr("Open Scores"), QString(), tr("Scores (*.safetensors)"));
           if (!path.isEmpty()) openScores(path);
       })
        ->setStatusTip(tr("Prune a circuit from a scores file (cx score) at the chosen sparsity"));
    auto* exportAction = file->addAction(widgets::appIcon(QStringLiteral("export-diagram"), QStyle::SP_DialogSaveButton), tr("&Export Diagram\u2026"), this,
                                         &MainWindow::chooseDiagramExport);
    exportAction->setShortcut(QKeySequence(tr("Ctrl+E")));
    file->addSeparator();
    auto* close = file->addAction(tr("&Close Model"), this, &MainWindow::closeModel);
    close->setShortcut(QKeySequence::Close);
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* view = menuBar()->addMenu(tr("&View"));
    for (auto* dock : findChildren<QDockWidget*>()) view->addAction(dock->toggleViewAction());
    view->addSeparator();
    auto* dark = view->addAction(tr("&Dark Theme"), this, &MainWindow::setDarkTheme);
    dark->setCheckable(true);
    dark->setShortcut(QKeySequence(tr("Ctrl+Shift+T")));
    dark->setChecked(QSettings().value(QStringLiteral("view/dark")).toBool());
    if (dark->isChecked()) setDarkTheme(true);

    // Every job started after a change runs on the chosen device (one that runs keeps its own).
    auto* compute = menuBar()->addMenu(tr("&Compute"));
    auto* devices = new QActionGroup(this);
    const QString gpuText = engine::cudaAvailable() ? tr("&GPU (CUDA)") : tr("&GPU (CUDA; none found, runs on the CPU)");
    for (const auto& [choice, text] : {std::pair{QStringLiteral("auto"), gpuText}, std::pair{QStringLiteral("cpu"), tr("&CPU")}}) {
        auto* action = compute->addAction(text);
        action->setCheckable(true);
        action->setData(choice);
        action->setObjectName(QStringLiteral("device-") + choice);
        devices->addAction(action);
    }
    const QString saved = QSettings().value(QStringLiteral("compute/device")).toString();
    const QString initial = saved == QStringLiteral("cpu") || saved == QStringLiteral("auto") ? saved
                            : engine::defaultDevice() == "cpu" && engine::cudaAvailable() ? QStringLiteral("cpu")
                                                                                         : QStringLiteral("auto");
    auto choose = [this](const QString& choice) {
        engine::setDeviceChoice(choice.toStdString());
        if (m_deviceLabel) m_deviceLabel->setText(QString::fromStdString(engine::deviceDescription()));
    };
    for (auto* action : devices->actions()) action->setChecked(action->data().toString() == initial);
    if (!saved.isEmpty()) choose(initial);
    connect(devices, &QActionGroup::triggered, this, [choose](QAction* action) {
        QSettings().setValue(QStringLiteral("compute/device"), action->data().toString());
        choose(action->data().toString());
    });

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Circuit Explorer"), this, &MainWindow::showAbout);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);

    auto* toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->addAction(open);
    toolbar->addAction(demo);
    toolbar->addAction(mask);
    toolbar->addAction(saveProjectAction);
    toolbar->addAction(exportAction);
}

void MainWindow::buildStatusBar() {
    m_deviceLabel = new QLabel(QString::fromStdString(engine::deviceDescription()), this);
    m_memoryLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_memoryLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
    auto* timer = new QTimer(this);
    connect(timer, &QTimer::timeout, this, &MainWindow::updateMemory);
    timer->start(2000);
    updateMemory();
}

void MainWindow::wireJobs() {
    connect(m_jobs, &JobRunner::jobStarted, m_jobsPanel, &widgets::JobsPanel::addJob);
    connect(m_jobs, &JobRunner::jobProgress, m_jobsPanel, &widgets::JobsPanel::setProgress);
    connect(m_jobs, &JobRunner::jobFinished, this, [this](int id, bool cancelled, const QString& error) {
        using Outcome = widgets::JobsPanel::Outcome;
        m_jobsPanel->finishJob(id, cancelled ? Outcome::Cancelled : error.isEmpty() ? Outcome::Succeeded : Outcome::Failed, error);
    });
    connect(m_jobsPanel, &widgets::JobsPanel::cancelRequested, m_jobs, &JobRunner::cancel);
}

void MainWindow::openModel(const QString& path) {
    const std::string file = path.toStdString();
    statusBar()->showMessage(tr("Loading %1\u2026").arg(QFileInfo(path).fileName()));
    m_jobs->start<std::shared_ptr<engine::Model>>(
        QStringLiteral("load-model"), tr("Load %1").arg(QFileInfo(path).fileName()), QString(),  // reported below, then signalled
        [file](engine::JobContext& job) -> ModelResult {
            job.progress("loading", 0.0);
            return engine::Model::load(file);
        },
        [this, path](std::shared_ptr<engine::Model>& loaded) -> QString {
            setModel(loaded, path);
            return {};
        },
        [this](const QString& message) {
            m_pendingProject.reset();
            statusBar()->clearMessage();
            showError(tr("Cannot open model"), message);
            Q_EMIT modelLoadFailed(message);
        });
}

void MainWindow::openDemoModel() { openModel(QString::fromStdString(demoModelPath())); }

void MainWindow::openFile(const QString& path) {
    if (path.endsWith(QLatin1String(".cxproj"), Qt::CaseInsensitive)) return openProject(path);
    if (path.endsWith(QLatin1String(".safetensors"), Qt::CaseInsensitive) && m_model) return openMask(path);
    openModel(path);
}

void MainWindow::closeModel() {
    m_model.reset();
    m_workspace.reset();
    m_sessionMasks.clear();
    m_scoresInMemory.clear();
    m_modelPath.clear();
    m_projectPath.clear();
    m_tree->clearModel();
    m_details->clearModel();
    updateTitle();
    Q_EMIT modelChanged();
}

bool MainWindow::selectLayer(const QString& name) {
    if (!m_model) return false;
    const int index = m_model->summary().indexOf(name.toStdString());
    if (index < 0) {
        statusBar()->showMessage(tr("No layer named %1").arg(name), 5000);
        return false;
    }
    m_tree->selectLayer(index);
    m_tree->layerItem(index)->setExpanded(true);
    return true;
}

void MainWindow::setModel(std::shared_ptr<engine::Model> model, const QString& path) {
    const std::unique_ptr<ProjectState> project = std::move(m_pendingProject);
    m_projectPath.clear();
    if (project) m_dataPath = project->data;
    m_model = std::move(model);
    m_workspace = engine::Workspace::over(m_model);  // read once; every job of this model runs on it
    m_sessionMasks.clear();
    m_modelPath = QFileInfo(path).absoluteFilePath();
    m_tree->setModel(m_model->summary(), QFileInfo(path).fileName());
    m_details->setModel(m_model->summary());
    addRecentFile(m_modelPath);
    QSettings().setValue(QStringLiteral("session/lastModel"), m_modelPath);
    statusBar()->showMessage(tr("Opened %1: %2 layers").arg(QFileInfo(path).fileName()).arg(m_model->summary().layers.size()), 5000);
    updateTitle();
    const bool transformer = m_modelPath == QFileInfo(QString::fromStdString(demoTransformerPath())).absoluteFilePath();
    m_training->setBuiltInTasks(transformer ? QStringList{QStringLiteral("addition"), QStringLiteral("multiplication")} : QStringList{});
    m_data->clearUnits();
    m_unitsLayer.clear();
    m_scoresByKey.clear();  // scores and masks belong to the model they were made for
    m_scoresInMemory.clear();
    m_masks->clear();
    // What circuits will run on, previewed: the demo transformer's own held-out prompts unless
    // other data was chosen; other models never inherit those prompts.
    const bool prompts = engine::parseArithmeticOp(m_dataPath.toStdString()).has_value();
    if (transformer && (m_dataPath.isEmpty() || prompts)) setData(prompts ? m_dataPath : QStringLiteral("addition"));
    else setData(prompts ? QString() : m_dataPath);
    Q_EMIT modelChanged();
    if (project) return applyProject(*project);
    // The demo opens straight onto a circuit: features.conv4:27 (a curve detector), 10% kept.
    if (m_modelPath == QFileInfo(QString::fromStdString(demoModelPath())).absoluteFilePath()) {
        auto settings = m_circuit->settings();
        settings.target = QStringLiteral("features.conv4:27");
        m_circuit->setSettings(settings);
        m_training->setDefaultPreserve(settings.target);
        findCircuit(settings);
        using engine::Criterion;
        runSweep(settings, {Criterion::ActGrad, Criterion::Snip, Criterion::Magnitude, Criterion::Random});
    }
}

void MainWindow::showError(const QString& title, const QString& message) {
    m_lastError = message;
    if (!m_showErrorDialogs) return;
    auto* box = new QMessageBox(QMessageBox::Critical, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

QStringList MainWindow::recentFiles() const { return QSettings().value(QStringLiteral("recentFiles")).toStringList(); }

void MainWindow::addRecentFile(const QString& path) {
    QStringList files = recentFiles();
    files.removeAll(path);
    files.prepend(path);
    while (files.size() > kMaxRecent) files.removeLast();
    QSettings().setValue(QStringLiteral("recentFiles"), files);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    m_recentMenu->clear();
    const QStringList files = recentFiles();
    for (int i = 0; i < files.size(); ++i) {
        auto* action = m_recentMenu->addAction(QStringLiteral("&%1 %2").arg(i + 1).arg(QFileInfo(files[i]).fileName()),
                                               this, [this, path = files[i]] { openFile(path); });
        action->setStatusTip(files[i]);
        action->setEnabled(QFile::exists(files[i]));
    }
    m_recentMenu->setEnabled(!files.isEmpty());
    if (!files.isEmpty()) {
        m_recentMenu->addSeparator();
        m_recentMenu->addAction(tr("Clear Menu"), this, [this] {
            QSettings().remove(QStringLiteral("recentFiles"));
            rebuildRecentMenu();
        });
    }
}

void MainWindow::updateTitle() {
    QString title = tr("Circuit Explorer");
    if (!m_modelPath.isEmpty()) title = tr("%1 \u2014 %2").arg(QFileInfo(m_modelPath).fileName(), title);
    if (!m_projectPath.isEmpty()) title = tr("%1 \u2014 %2").arg(QFileInfo(m_projectPath).fileName(), title);
    setWindowTitle(title);
}

void MainWindow::updateMemory() {
    // Resident set size from /proc (Linux): pages in the second field of statm.
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly)) return;
    const auto fields = statm.readAll().split(' ');
    if (fields.size() < 2) return;
    const double mib = double(fields[1].toLongLong()) * 4096.0 / (1024.0 * 1024.0);
    m_memoryLabel->setText(tr("Memory %1 MiB").arg(mib, 0, 'f', 0));
}

void MainWindow::setDarkTheme(bool dark) {
    QSettings().setValue(QStringLiteral("view/dark"), dark);
    static const QPalette original = qApp->palette();
    if (!dark) return qApp->setPalette(original);
    // Fusion's roles, darkened; every view (charts and the diagram too) follows palette changes.
    QPalette p;
    const QColor window(45, 47, 50), base(30, 31, 34), text(225, 225, 225), mid(95, 98, 104);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Mid, mid);
    p.setColor(QPalette::Dark, QColor(20, 20, 22));
    p.setColor(QPalette::Light, QColor(70, 72, 76));
    p.setColor(QPalette::Highlight, QColor(42, 130, 218));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(90, 170, 255));
    p.setColor(QPalette::PlaceholderText, QColor(140, 140, 140));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(120, 120, 120));
    p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(120, 120, 120));
    p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(120, 120, 120));
    qApp->setPalette(p);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About Circuit Explorer"),
                       tr("<h3>Circuit Explorer %1</h3><p>Find, inspect and compare the circuits inside trained "
                          "neural networks.</p><p>Device: %2</p>")
                           .arg(QStringLiteral(CX_VERSION), QString::fromStdString(engine::deviceDescription())));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    m_jobs->cancelAll();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls() && !event->mimeData()->urls().isEmpty() && event->mimeData()->urls().first().isLocalFile())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) openFile(urls.first().toLocalFile());
    event->acceptProposedAction();
}

}  // namespace cx::app
