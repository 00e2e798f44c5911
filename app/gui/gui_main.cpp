// circuit-explorer: the desktop application.
#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>
#include <QTimer>

#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"

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

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    Q_INIT_RESOURCE(resources);  // the .qrc lives in the cx_gui static library
    QApplication::setOrganizationName(QStringLiteral("CircuitExplorer"));
    QApplication::setApplicationName(QStringLiteral("Circuit Explorer"));
    QApplication::setApplicationVersion(QStringLiteral(CX_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("circuit-explorer"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Find, inspect and compare circuits in trained neural networks."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("A TorchScript model or a .cxproj project to open."),
                                 QStringLiteral("[MODEL | PROJECT]"));
    QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Open the built-in demo model."));
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Save a screenshot to FILE once loaded, then quit."),
                                  QStringLiteral("FILE"));
    QCommandLineOption layer(QStringLiteral("layer"), QStringLiteral("Select the layer NAME once the model is open."),
                             QStringLiteral("NAME"));
    parser.addOptions({demo, screenshot, layer});
    parser.process(app);

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
    else if (parser.isSet(demo) || last.isEmpty()) window.openDemoModel();  // first start: the demo
    else if (QFileInfo::exists(last)) window.openModel(last);
    return app.exec();
}
