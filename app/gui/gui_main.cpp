// circuit-explorer: the desktop application.
#include <string>

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>
#include <QTimer>

#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/core/runtime.h"

namespace {

// --screenshot: once no job is left running (the model, and the demo's first circuit) and the
// window has painted, save it and quit.
void scheduleScreenshot(cx::app::MainWindow& window, const QString& file) {
    auto grabAndQuit = [&window, file] {
        if (window.jobs()->activeCount() > 0) return;
        QTimer::singleShot(400, &window, [&window, file] {
            window.grab().save(file);
            QApplication::quit();
        });
    };
    QObject::connect(window.jobs(), &cx::app::JobRunner::jobFinished, &window, grabAndQuit);
    QTimer::singleShot(120000, &window, [] { QApplication::exit(1); });  // never hang a script
}

void describeApplication() {
    QCoreApplication::setOrganizationName(QStringLiteral("CircuitExplorer"));
    QCoreApplication::setApplicationName(QStringLiteral("Circuit Explorer"));
    QCoreApplication::setApplicationVersion(QStringLiteral(CX_VERSION));
}

// --help and --version need no display: answered before the GUI starts (which would abort
// without one).
bool asksForTextOnly(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h" || a == "--help-all" || a == "--version" || a == "-v") return true;
    }
    return false;
}

// The command line, for the GUI and for a display-less --help alike.
void describeCommandLine(QCommandLineParser& parser) {
    parser.setApplicationDescription(QStringLiteral("Find, inspect and compare circuits in trained neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("A TorchScript model or a .cxproj project to open."),
                                 QStringLiteral("[MODEL | PROJECT]"));
    parser.addOptions({{QStringLiteral("demo"), QStringLiteral("Open the built-in demo model.")},
                       {QStringLiteral("screenshot"), QStringLiteral("Save a screenshot to FILE once loaded, then quit."),
                        QStringLiteral("FILE")},
                       {QStringLiteral("layer"), QStringLiteral("Select the layer NAME once the model is open."),
                        QStringLiteral("NAME")}});
}

}  // namespace

int main(int argc, char** argv) {
    if (asksForTextOnly(argc, argv)) {
        QCoreApplication core(argc, argv);
        describeApplication();
        QCommandLineParser parser;
        describeCommandLine(parser);
        parser.process(core);  // prints and exits
        return 0;
    }
    QApplication app(argc, argv);
    Q_INIT_RESOURCE(resources);  // the .qrc lives in the cx_gui static library
    describeApplication();
    QApplication::setDesktopFileName(QStringLiteral("circuit-explorer"));
    // Model files are opened by `cx inspect` in a child process first (cx is installed beside
    // the GUI), so a file that crashes LibTorch's reader is refused, not a crash of the GUI.
    const QString cx = QCoreApplication::applicationDirPath() + QStringLiteral("/cx");
    if (QFileInfo(cx).isExecutable()) cx::engine::setModelProber(cx.toStdString());
    QCommandLineParser parser;
    describeCommandLine(parser);
    parser.process(app);
    const QString layer = QStringLiteral("layer"), screenshot = QStringLiteral("screenshot");

    cx::app::MainWindow window;
    window.show();
    if (parser.isSet(layer)) {
        QObject::connect(&window, &cx::app::MainWindow::modelChanged, &window, [&window, name = parser.value(layer)] {
            if (window.model()) window.selectLayer(name);
        });
    }
    if (parser.isSet(screenshot)) scheduleScreenshot(window, parser.value(screenshot));

    QSettings settings;
    const QString last = settings.value(QStringLiteral("session/lastModel")).toString();
    if (!parser.positionalArguments().isEmpty()) window.openFile(parser.positionalArguments().first());
    else if (parser.isSet(QStringLiteral("demo")) || last.isEmpty()) window.openDemoModel();  // first start: the demo
    else if (QFileInfo::exists(last)) window.openModel(last);
    // A file that could not be opened starts no job: the screenshot shows the error, at once.
    if (parser.isSet(screenshot) && !window.lastError().isEmpty() && window.jobs()->activeCount() == 0)
        QTimer::singleShot(400, &window, [&window, file = parser.value(screenshot)] {
            window.grab().save(file);
            QApplication::exit(1);
        });
    return app.exec();
}
