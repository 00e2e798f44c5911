#include "app/gui/main_menus.h"

#include <QApplication>
#include <QDockWidget>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStyle>
#include <QToolBar>

#include "app/gui/circuit_controller.h"
#include "app/gui/compute_menu.h"
#include "app/gui/main_window.h"
#include "app/gui/project_controller.h"
#include "app/gui/recent_files.h"
#include "app/resource_dir.h"
#include "engine/core/runtime.h"
#include "widgets/form_helpers.h"

namespace cx::app {

RecentFiles* buildMainMenus(MainWindow& w, QLabel* deviceLabel) {
    MainWindow* window = &w;  // the actions' context: they go with the window
    const auto icon = [](const char* name, QStyle::StandardPixmap fallback) {
        return widgets::appIcon(QString::fromLatin1(name), fallback);
    };
    const auto chooseFile = [window](const QString& title, const QString& filter, auto open) {
        return [window, title, filter, open] {
            if (const QString path = QFileDialog::getOpenFileName(window, title, QString(), filter); !path.isEmpty())
                open(path);
        };
    };
    auto* file = w.menuBar()->addMenu(QObject::tr("&File"));
    auto* open =
        file->addAction(icon("open-model", QStyle::SP_DialogOpenButton), QObject::tr("&Open Model\u2026"), window,
                        chooseFile(QObject::tr("Open TorchScript Model"),
                                   QObject::tr("TorchScript models (*.pt *.pth *.ptl *.zip);;All files (*)"),
                                   [window](const QString& p) { window->openModel(p); }));
    open->setShortcut(QKeySequence::Open);
    open->setStatusTip(QObject::tr("Open a model saved with torch.jit.save"));
    auto* demo = file->addAction(icon("demo-model", QStyle::SP_ComputerIcon), QObject::tr("Open &Demo Model"), window,
                                 &MainWindow::openDemoModel);
    demo->setShortcut(QKeySequence(QObject::tr("Ctrl+Shift+D")));
    demo->setStatusTip(QObject::tr("Open the built-in shapes CNN"));
    file->addAction(QObject::tr("Open Demo &Transformer"), window,
                    [window] { window->openModel(QString::fromStdString(demoTransformerPath())); })
        ->setStatusTip(
            QObject::tr("Open the built-in 2-layer transformer trained on two-digit addition and multiplication"));
    auto* recent = new RecentFiles(file->addMenu(QObject::tr("Open &Recent")));
    file->addSeparator();
    auto* openProject =
        file->addAction(QObject::tr("Open &Project\u2026"), window,
                        chooseFile(QObject::tr("Open Project"), QObject::tr("Circuit Explorer projects (*.cxproj)"),
                                   [window](const QString& p) { window->projects()->openProject(p); }));
    openProject->setShortcut(QKeySequence(QObject::tr("Ctrl+Shift+O")));
    openProject->setStatusTip(QObject::tr("Reopen a saved session: model, images, masks, curves and settings"));
    auto* saveProject = file->addAction(icon("save-project", QStyle::SP_DriveFDIcon), QObject::tr("&Save Project"),
                                        window, [window] { window->projects()->chooseSave(false); });
    saveProject->setShortcut(QKeySequence::Save);
    saveProject->setStatusTip(
        QObject::tr("Save the session (model, images, named masks, curves, settings) to a project file"));
    file->addAction(QObject::tr("Save Project &As\u2026"), window, [window] { window->projects()->chooseSave(true); })
        ->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    auto* mask =
        file->addAction(icon("open-mask", QStyle::SP_FileDialogContentsView), QObject::tr("Open &Mask\u2026"), window,
                        chooseFile(QObject::tr("Open Circuit Mask"), QObject::tr("Masks (*.safetensors)"),
                                   [window](const QString& p) { window->circuits()->openMask(p); }));
    mask->setShortcut(QKeySequence(QObject::tr("Ctrl+M")));
    mask->setStatusTip(QObject::tr("Draw the circuit of a mask file made for the open model"));
    file->addAction(QObject::tr("Open &Scores\u2026"), window,
                    chooseFile(QObject::tr("Open Scores"), QObject::tr("Scores (*.safetensors)"),
                               [window](const QString& p) { window->circuits()->openScores(p); }))
        ->setStatusTip(QObject::tr("Prune a circuit from a scores file (cx score) at the chosen sparsity"));
    auto* exportAction =
        file->addAction(icon("export-diagram", QStyle::SP_DialogSaveButton), QObject::tr("&Export Diagram\u2026"),
                        window->circuits(), &CircuitController::chooseDiagramExport);
    exportAction->setShortcut(QKeySequence(QObject::tr("Ctrl+E")));
    file->addSeparator();
    file->addAction(QObject::tr("&Close Model"), window, &MainWindow::closeModel)->setShortcut(QKeySequence::Close);
    file->addSeparator();
    file->addAction(QObject::tr("&Quit"), window, &QWidget::close)->setShortcut(QKeySequence::Quit);

    auto* view = w.menuBar()->addMenu(QObject::tr("&View"));
    for (auto* d : w.findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());
    view->addSeparator();
    auto* dark = view->addAction(QObject::tr("&Dark Theme"), window, &MainWindow::setDarkTheme);
    dark->setCheckable(true);
    dark->setShortcut(QKeySequence(QObject::tr("Ctrl+Shift+T")));
    dark->setChecked(QSettings().value(QStringLiteral("view/dark")).toBool());
    if (dark->isChecked()) w.setDarkTheme(true);
    addComputeMenu(w.menuBar(), deviceLabel);

    auto* help = w.menuBar()->addMenu(QObject::tr("&Help"));
    help->addAction(QObject::tr("&About Circuit Explorer"), window, [window] {
        QMessageBox::about(
            window, QObject::tr("About Circuit Explorer"),
            QObject::tr("<h3>Circuit Explorer %1</h3><p>Find, inspect and compare the circuits inside trained "
                        "neural networks.</p><p>Device: %2</p>")
                .arg(QStringLiteral(CX_VERSION), QString::fromStdString(engine::deviceDescription())));
    });
    help->addAction(QObject::tr("About &Qt"), qApp, &QApplication::aboutQt);

    auto* toolbar = w.addToolBar(QObject::tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (auto* action : {open, demo, mask, saveProject, exportAction}) toolbar->addAction(action);
    return recent;
}

}  // namespace cx::app
