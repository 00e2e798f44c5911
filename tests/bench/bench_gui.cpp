// GUI benchmarks (offscreen), side by side in one run:
//  1. the diagram scene: Graphviz layout, then the QGraphicsScene build of a 500-unit,
//     3,000-kernel circuit, a path highlight and a full repaint;
//  2. event-loop latency: how late a 5 ms timer fires on the GUI thread, idle and while the
//     demo's five-criterion sweep (scoring, pruning, forward passes) runs on the worker and the
//     user switches tabs, resizes the window and zooms the diagram. p50 / p99 / max.
//   cmake --build build --target cx_bench_gui && build/tests/bench/cx_bench_gui
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include <QApplication>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QTimer>
#include <QWheelEvent>

#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/pruning/sweep_job.h"
#include "random_diagram.h"
#include "widgets/circuit_panel.h"
#include "widgets/diagram_view.h"

namespace {

double seconds(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void processFor(int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms) QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
}

struct Latency {
    double p50 = 0, p99 = 0, max = 0;
    size_t ticks = 0;
};

// Lateness of a 5 ms precise timer while `during` runs every 100 ms, for `ms` milliseconds.
template <typename Action>
Latency measure(int ms, Action during) {
    std::vector<double> late;
    QElapsedTimer clock;
    clock.start();
    qint64 expected = 5;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(5);
    QObject::connect(&tick, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        late.push_back(double(std::max<qint64>(0, now - expected)));
        expected = now + 5;
    });
    QTimer act;
    act.setInterval(100);
    int round = 0;
    QObject::connect(&act, &QTimer::timeout, [&] { during(round++); });
    tick.start();
    act.start();
    processFor(ms);
    tick.stop();
    act.stop();
    std::sort(late.begin(), late.end());
    Latency out;
    out.ticks = late.size();
    if (late.empty()) return out;
    out.p50 = late[late.size() / 2];
    out.p99 = late[std::min(late.size() - 1, size_t(double(late.size()) * 0.99))];
    out.max = late.back();
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    Q_INIT_RESOURCE(resources);
    QApplication::setOrganizationName(QStringLiteral("CircuitExplorerBench"));

    // 1. Scene build for a large circuit.
    auto diagram = randomDiagram();
    cx::engine::JobContext job;
    auto t0 = std::chrono::steady_clock::now();
    if (auto st = cx::engine::layoutDiagram(diagram, {}, job); !st) return 1;
    const double layout = seconds(t0);
    double build = 1e30, highlight = 1e30, paint = 1e30;
    cx::widgets::DiagramView view;
    view.resize(900, 700);
    for (int round = 0; round < 3; ++round) {
        t0 = std::chrono::steady_clock::now();
        view.setDiagram(diagram);
        build = std::min(build, seconds(t0));
        t0 = std::chrono::steady_clock::now();
        view.highlightNode(250);
        highlight = std::min(highlight, seconds(t0));
        t0 = std::chrono::steady_clock::now();
        view.grab();
        paint = std::min(paint, seconds(t0));
    }
    std::printf("Diagram, %zu units / %zu kernels: layout %.3f s, scene build %.3f s, highlight %.3f s, full repaint %.3f s;"
                " scene build / layout = %.2f\n",
                diagram.nodes.size(), diagram.edges.size(), layout, build, highlight, paint, build / layout);

    // 1b. The same circuit with a 32 x 32 picture in every unit (as node images give it).
    auto pictured = randomDiagram();
    for (size_t i = 0; i < pictured.nodes.size(); ++i) {
        auto& image = pictured.nodes[i].image;
        image.kind = "crop";
        image.width = image.height = 32;
        image.rgb.resize(32 * 32 * 3);
        for (size_t b = 0; b < image.rgb.size(); ++b) image.rgb[b] = uint8_t((b * 7 + i * 13) % 256);
    }
    t0 = std::chrono::steady_clock::now();
    if (auto st = cx::engine::layoutDiagram(pictured, {}, job); !st) return 1;
    const double picturedLayout = seconds(t0);
    double picturedBuild = 1e30, picturedPaint = 1e30;
    for (int round = 0; round < 3; ++round) {
        t0 = std::chrono::steady_clock::now();
        view.setDiagram(pictured);
        picturedBuild = std::min(picturedBuild, seconds(t0));
        t0 = std::chrono::steady_clock::now();
        view.grab();
        picturedPaint = std::min(picturedPaint, seconds(t0));
    }
    std::printf("  with a 32x32 picture in every unit: layout %.3f s, scene build %.3f s (%.2fx without), full repaint %.3f s (%.2fx)\n",
                picturedLayout, picturedBuild, picturedBuild / build, picturedPaint, picturedPaint / paint);

    // 2. Event-loop latency with a sweep running.
    cx::app::MainWindow window;
    window.setShowErrorDialogs(false);
    window.resize(1280, 800);
    window.show();
    window.openDemoModel();
    QElapsedTimer wait;
    wait.start();
    while ((!window.model() || window.jobs()->activeCount() > 0) && wait.elapsed() < 120000) processFor(50);
    auto* tabs = qobject_cast<QTabWidget*>(window.centralWidget());
    auto interact = [&](int round) {
        tabs->setCurrentIndex(round % tabs->count());
        window.resize(round % 2 ? 1200 : 1280, round % 2 ? 760 : 800);
        QWheelEvent wheel(QPointF(200, 200), QPointF(200, 200), QPoint(), QPoint(0, round % 2 ? 120 : -120), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QCoreApplication::sendEvent(window.circuitPanel()->view()->viewport(), &wheel);
    };
    const Latency idle = measure(3000, interact);
    auto settings = window.circuitPanel()->settings();
    window.runSweep(settings, {"actgrad", "snip", "force", "magnitude", "random"});
    const Latency busy = measure(8000, interact);
    const bool stillRunning = window.jobs()->activeCount() > 0;
    std::printf("GUI event loop, 5 ms timer lateness while switching tabs, resizing, zooming every 100 ms:\n");
    std::printf("  idle:              p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu ticks)\n", idle.p50, idle.p99, idle.max, idle.ticks);
    std::printf("  sweep running%s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu ticks)\n", stillRunning ? "" : "*", busy.p50,
                busy.p99, busy.max, busy.ticks);
    std::printf("  p99 busy / idle = %.2f%s\n", busy.p99 / std::max(0.1, idle.p99),
                stillRunning ? "" : "  (*the sweep finished before the window closed)");
    window.jobs()->cancelAll();
    return 0;
}
