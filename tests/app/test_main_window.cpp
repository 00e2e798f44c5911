// The real main window, offscreen: opening models in the background, errors, recent files.
#include <sys/stat.h>

#include <set>

#include <QAction>
#include <QPushButton>
#include <QDir>
#include <QRegularExpression>
#include <QFile>
#include <QTemporaryDir>
#include <QSettings>
#include <QTreeWidgetItem>

#include <gtest/gtest.h>

#include "app/gui/circuit_controller.h"
#include "app/gui/cluster_controller.h"
#include "app/gui/data_controller.h"
#include "app/gui/equivalence_controller.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "app/gui/masks_controller.h"
#include "app/gui/neuron_controller.h"
#include "app/gui/population_controller.h"
#include "app/gui/probe_controller.h"
#include "app/gui/project_controller.h"
#include "app/gui/session.h"
#include "app/resource_dir.h"
#include "engine/core/runtime.h"
#include "engine/diagram/diagram_detail.h"
#include "engine/diagram/diagram_layout.h"
#include "engine/model/model.h"
#include "engine/model/workspace.h"
#include "engine/pruning/curve_csv.h"
#include "engine/pruning/sweep_job.h"
#include "engine/vis/feature_vis.h"
#include "engine/vis/polysemantic.h"
#include "engine/vis/probe_sets.h"
#include "wait.h"
#include "widgets/chart.h"
#include "widgets/circuit_panel.h"
#include "widgets/cluster_panel.h"
#include "widgets/curve_view.h"
#include "widgets/data_panel.h"
#include "widgets/detail_bar.h"
#include "widgets/diagram_view.h"
#include "widgets/equivalence_view.h"
#include "widgets/diagram_view.h"
#include "widgets/jobs_panel.h"
#include "widgets/neuron_panel.h"
#include "widgets/layer_details_view.h"
#include "widgets/layer_tree_view.h"
#include "widgets/mask_list.h"
#include "widgets/population_view.h"
#include "widgets/probe_panel.h"
#include "widgets/scatter_view.h"
#include "widgets/unit_examples_view.h"

using cx::app::MainWindow;

namespace {
QString testModel(const char* name) { return QStringLiteral(CX_TEST_DATA "/models/%1.pt").arg(name); }

// The chain model open and idle, its Population tab on features.3 (null when that fails).
cx::widgets::PopulationView* openChainPopulation(MainWindow& w) {
    w.setShowErrorDialogs(false);
    w.openModel(testModel("chain"));
    if (!waitUntil([&] { return w.model() != nullptr && w.jobs()->activeCount() == 0; })) return nullptr;
    return w.populationView()->setLayer(QStringLiteral("features.3")) ? w.populationView() : nullptr;
}
}  // namespace

TEST(MainWindow, OpensAModelOffTheGuiThreadAndShowsItsLayers) {
    QSettings().clear();
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.show();
    w.openModel(testModel("chain"));
    ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr; }));
    EXPECT_EQ(w.layerTree()->layerCount(), 5);
    EXPECT_EQ(w.layerTree()->layerItem(0)->text(0), "features.0");
    EXPECT_EQ(w.layerTree()->layerItem(3)->text(1), "linear");
    EXPECT_TRUE(w.windowTitle().startsWith("chain.pt"));
    EXPECT_EQ(w.recentFiles().value(0), testModel("chain"));
    ASSERT_TRUE(waitUntil([&] { return w.jobsPanel()->runningCount() == 0; }));
    EXPECT_EQ(w.jobsPanel()->rowCount(), 2);  // the model, then thumbnails of the images jobs will use
    EXPECT_TRUE(w.jobsPanel()->statusText(1).startsWith("done"));
    EXPECT_TRUE(w.jobsPanel()->statusText(2).startsWith("done"));
    EXPECT_EQ(w.dataPanel()->thumbnailCount(), 24);
    // Selecting a layer shows its details.
    w.layerTree()->selectLayer(1);
    EXPECT_EQ(w.details()->shownLayer(), 1);
    EXPECT_TRUE(w.details()->toPlainText().contains("features.3.weight"));
}

TEST(MainWindow, ABadFileGivesAnErrorAndKeepsTheOpenModel) {
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openModel(testModel("concat"));
    ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr; }));
    auto before = w.model();
    w.openModel(QStringLiteral(CX_TEST_DATA "/make_test_models.py"));
    ASSERT_TRUE(waitUntil([&] { return !w.lastError().isEmpty(); }));
    EXPECT_TRUE(w.lastError().contains("not a TorchScript model"));
    EXPECT_EQ(w.model(), before);
    EXPECT_EQ(w.layerTree()->layerCount(), 4);
    // The dead branch is shown, greyed, with an explanation.
    EXPECT_TRUE(w.layerTree()->layerItem(0)->toolTip(0).contains("Dead"));
}

TEST(MainWindow, OpensTheDemoModel) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    MainWindow w;
    w.setShowErrorDialogs(false);
    const int64_t readsBefore = cx::engine::modelFileReads();
    w.openDemoModel();
    ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr; }));
    EXPECT_EQ(w.layerTree()->layerCount(), 7);
    EXPECT_TRUE(w.windowTitle().startsWith("shapes_cnn.pt"));
    // The first screen already shows a circuit: features.conv4:27 at 10% kept, found in the background.
    EXPECT_EQ(w.circuitPanel()->target(), QStringLiteral("features.conv4:27"));
    ASSERT_TRUE(waitUntil([&] { return w.circuitPanel()->view()->nodeItemCount() > 0; })) << w.lastError().toStdString();
    const auto& d = w.circuitPanel()->view()->diagram();
    EXPECT_TRUE(d.laidOut);
    EXPECT_EQ(w.circuitPanel()->view()->edgeItemCount(), int(d.edges.size()));
    int targets = 0;
    for (const auto& n : d.nodes) targets += n.target && n.id == "features.conv4:27";
    EXPECT_EQ(targets, 1);
    // Export from the window: a real SVG file, written in the background.
    const QString svg = QDir::temp().filePath(QStringLiteral("cx_main_window_test_%1.svg").arg(QCoreApplication::applicationPid()));
    QFile::remove(svg);
    w.circuits()->exportDiagram(svg);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    QFile file(svg);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly)) << w.lastError().toStdString();
    EXPECT_TRUE(file.read(400).contains("<svg"));
    file.close();
    QFile::remove(svg);
    // Dead ends: the effective circuit by default; the toggle lays it out again with them, greyed.
    const size_t effectiveNodes = w.circuitPanel()->view()->diagram().nodes.size();
    for (const auto& n : w.circuitPanel()->view()->diagram().nodes) EXPECT_FALSE(n.dead);
    w.circuitPanel()->setDeadEndsShown(true);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    size_t dead = 0;
    for (const auto& n : w.circuitPanel()->view()->diagram().nodes) dead += n.dead;
    EXPECT_GT(dead, 0u);
    EXPECT_EQ(w.circuitPanel()->view()->diagram().nodes.size(), effectiveNodes + dead);
    EXPECT_EQ(w.circuitPanel()->scatter()->pointCount(), 256 * 64);  // the same circuit: its scatter stays
    w.circuitPanel()->setDeadEndsShown(false);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_EQ(w.circuitPanel()->view()->diagram().nodes.size(), effectiveNodes);
    // The demo also sweeps four criteria for the first curve (all jobs are done by now).
    auto* curves = w.circuitPanel()->curves();
    EXPECT_EQ(curves->points().size(), 4u * 13u);
    // The start-up's circuit, its redraws and the sweep all ran on the model read once.
    EXPECT_EQ(cx::engine::modelFileReads() - readsBefore, 1);
    EXPECT_EQ(w.workspace()->stats().scoreRuns, 1);
    EXPECT_EQ(curves->criteria(), (std::vector{cx::engine::Criterion::ActGrad, cx::engine::Criterion::Snip, cx::engine::Criterion::Magnitude, cx::engine::Criterion::Random}));
    EXPECT_EQ(curves->chart()->graphCount(), 4 * 2 + 1);  // lines, effective markers, the ringed circuit
    EXPECT_EQ(w.circuitPanel()->scatter()->pointCount(), 256 * 64);  // 256 images x 8 x 8 positions of conv4
    // A click on a curve point opens that circuit: criterion and sparsity follow.
    Q_EMIT curves->pointClicked(cx::engine::Criterion::Magnitude, 0.2);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_TRUE(w.circuitPanel()->summaryText().contains("Magnitude, 20%")) << w.circuitPanel()->summaryText().toStdString();
    EXPECT_EQ(w.circuitPanel()->settings().criterion, cx::engine::Criterion::Magnitude);
    EXPECT_TRUE(w.circuitPanel()->scatter()->caption().startsWith("Magnitude at 20%"));
    double sweptPearson = -1;
    for (const auto& p : curves->points())
        if (p.criterion == cx::engine::Criterion::Magnitude && p.sparsity == 0.2) sweptPearson = p.pearson;
    EXPECT_TRUE(w.circuitPanel()->scatter()->caption().contains(QStringLiteral("|r| = %1").arg(sweptPearson, 0, 'f', 3)));
    // FORCE is a criterion like the others: a FORCE point opens its circuit (its own schedule).
    Q_EMIT curves->pointClicked(cx::engine::Criterion::Force, 0.3);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_FALSE(w.lastError().contains("unknown criterion")) << w.lastError().toStdString();
    EXPECT_TRUE(w.circuitPanel()->summaryText().contains("FORCE, 30%")) << w.circuitPanel()->summaryText().toStdString();
    // A bad target is refused with a message, and the shown circuit stays.
    w.circuits()->findCircuit(QStringLiteral("features.conv4"), 0.1);
    EXPECT_TRUE(w.lastError().contains("layer:unit"));
    EXPECT_GT(w.circuitPanel()->view()->nodeItemCount(), 0);
    // A direction over conv4's channels: channels 3 and 40 (the others are zero) are the targets.
    QTemporaryDir dir;
    const QString direction = dir.filePath(QStringLiteral("direction.txt"));
    {
        QFile out(direction);
        ASSERT_TRUE(out.open(QIODevice::WriteOnly));
        for (int c = 0; c < 48; ++c) out.write(c == 3 ? "1 " : c == 40 ? "-0.5\n" : "0 ");
    }
    w.circuitPanel()->setDirectionFile(direction);
    auto settings = w.circuitPanel()->settings();
    EXPECT_EQ(settings.target, QStringLiteral("features.conv4"));
    settings.sparsity = 0.3;
    w.circuits()->findCircuit(settings);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_TRUE(w.circuitPanel()->summaryText().startsWith("features.conv4 along direction.txt"))
        << w.circuitPanel()->summaryText().toStdString() << " " << w.lastError().toStdString();
    std::set<int64_t> directionTargets;
    for (const auto& n : w.circuitPanel()->view()->diagram().nodes)
        if (n.target) directionTargets.insert(n.unit);
    EXPECT_EQ(directionTargets, std::set<int64_t>({3, 40}));
}

TEST(MainWindow, TheDiagramGoesToOtherLevelsOfDetailAndBack) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openDemoModel();
    auto* view = w.circuitPanel()->view();
    ASSERT_TRUE(waitUntil([&] { return view->nodeItemCount() > 0 && w.jobs()->activeCount() == 0; })) << w.lastError().toStdString();
    const auto kernels = view->diagram();
    ASSERT_NE(kernels.whole, nullptr);
    EXPECT_EQ(kernels.detail.level, cx::engine::DetailLevel::Kernel);
    // The layer overview: one vertex per layer the circuit reaches (the input, conv1 .. conv4).
    cx::engine::DetailSpec layers;
    layers.level = cx::engine::DetailLevel::Layer;
    Q_EMIT w.circuitPanel()->detailRequested(layers);
    ASSERT_TRUE(waitUntil([&] { return view->diagram().detail.level == cx::engine::DetailLevel::Layer; })) << w.lastError().toStdString();
    for (const auto& n : view->diagram().nodes) EXPECT_NE(n.kind, cx::engine::NodeKind::Unit) << n.id;
    EXPECT_EQ(view->diagram().nodes.size(), kernels.layers.size());
    EXPECT_EQ(view->diagram().whole, kernels.whole);  // the same circuit behind it
    EXPECT_TRUE(w.circuitPanel()->detailBar()->countsText().contains("layers"));
    // Expanding conv3 draws its units in place, with their pictures.
    auto expand = cx::engine::withPartAt(view->diagram(), "features.conv3", cx::engine::DetailLevel::Unit);
    Q_EMIT w.circuitPanel()->detailRequested(expand);
    ASSERT_TRUE(waitUntil([&] { return view->diagram().detail.expanded.count("features.conv3") == 1; }));
    size_t conv3Units = 0;
    for (const auto& n : view->diagram().nodes) conv3Units += n.kind == cx::engine::NodeKind::Unit && n.rank == "features.conv3" && !n.image.empty();
    EXPECT_GT(conv3Units, 0u);
    // Back to the kernels: laid out before, so it comes from memory without a job.
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    Q_EMIT w.circuitPanel()->detailRequested(kernels.detail);
    EXPECT_EQ(w.jobs()->activeCount(), 0);
    EXPECT_EQ(view->diagram().detail.level, cx::engine::DetailLevel::Kernel);
    EXPECT_EQ(view->diagram().edges.size(), kernels.edges.size());
    // A focus on the target: its cone only.
    Q_EMIT w.circuitPanel()->detailRequested(cx::engine::focusedOn(kernels, "features.conv4:27"));
    ASSERT_TRUE(waitUntil([&] { return !view->diagram().detail.focus.empty(); }));
    for (const auto& n : view->diagram().nodes) EXPECT_EQ(n.kind, cx::engine::NodeKind::Unit);
    EXPECT_LE(view->diagram().edges.size(), kernels.edges.size());
}

// The Population tab: every unit's curves in one run (equal to each unit's own sweep), a unit
// opened from the table becomes the Circuit tab's circuit; a cx sweep CSV of another layer is refused.
TEST(MainWindow, APopulationRunsInTheBackgroundAndItsUnitsOpenAsCircuits) {
    MainWindow w;
    auto* view = openChainPopulation(w);
    ASSERT_NE(view, nullptr);
    const std::vector<cx::engine::Criterion> criteria = {cx::engine::Criterion::ActGrad, cx::engine::Criterion::Random};
    view->setUnits(QStringLiteral("0-2"));
    view->setCriteria(criteria);
    Q_EMIT view->runRequested(view->layer(), view->units(), view->criteria());
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; })) << w.lastError().toStdString();
    ASSERT_EQ(w.lastError(), QString());
    const auto points = view->points();
    ASSERT_EQ(points.size(), 3u * 2 * 13);
    EXPECT_EQ(view->shownLayer(), QStringLiteral("features.3"));
    EXPECT_EQ(view->table()->rowCount(), 3);
    ASSERT_TRUE(waitUntil([&] { return view->pictureCount() == 6u; }));  // every unit of features.3, from a second job
    EXPECT_FALSE(view->table()->item(0, 0)->icon().isNull());
    // Unit 1's rows are its own sweep's, exactly.
    cx::engine::SweepRequest single;
    single.images = w.session().imagesForJobs().toStdString();
    single.target = "features.3:1";
    single.criteria = criteria;
    cx::engine::JobContext job;
    auto own = cx::engine::runSweep(*w.workspace(), single, job);
    ASSERT_TRUE(own.ok()) << own.error().message;
    size_t compared = 0;
    for (const auto& p : points)
        for (const auto& q : own.value())
            if (p.unit == 1 && p.criterion == q.criterion && p.sparsity == q.sparsity) {
                EXPECT_EQ(p.pearson, q.pearson);
                EXPECT_EQ(p.kept, q.kept);
                ++compared;
            }
    EXPECT_EQ(compared, own.value().size());
    // Double-clicking unit 2 in the Random column finds that circuit at the table's sparsity.
    ASSERT_TRUE(view->setSparsity(0.2));
    int row = -1;
    for (int r = 0; r < view->table()->rowCount(); ++r)
        if (view->table()->item(r, 0)->text() == QStringLiteral("2")) row = r;
    ASSERT_GE(row, 0);
    Q_EMIT view->table()->cellDoubleClicked(row, 2);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && w.maskList()->count() == 1; })) << w.lastError().toStdString();
    const auto settings = w.circuitPanel()->settings();
    EXPECT_EQ(settings.target, QStringLiteral("features.3:2"));
    EXPECT_EQ(settings.criterion, cx::engine::Criterion::Random);
    EXPECT_DOUBLE_EQ(settings.sparsity, 0.2);
    EXPECT_TRUE(w.circuitPanel()->summaryText().startsWith("features.3:2")) << w.circuitPanel()->summaryText().toStdString();

    // A CSV that cx sweep --units wrote opens as the chosen layer's units; too many units for the layer: refused.
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("curves.csv"));
    auto wide = points;
    wide.resize(26);
    for (auto& p : wide) p.unit += 60;
    for (const auto& [file, rows] : {std::pair{csv, points}, std::pair{dir.filePath(QStringLiteral("wide.csv")), wide}}) {
        QFile out(file);
        ASSERT_TRUE(out.open(QIODevice::WriteOnly));
        out.write(QByteArray::fromStdString(cx::engine::curveCsv(rows)));
    }
    view->clear();
    w.populations()->openCsv(csv);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_EQ(view->points().size(), points.size());
    EXPECT_EQ(view->table()->rowCount(), 3);
    w.populations()->openCsv(dir.filePath(QStringLiteral("wide.csv")));
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_TRUE(w.lastError().contains("has unit 60, but features.3 has")) << w.lastError().toStdString();
    EXPECT_EQ(view->points().size(), points.size());  // what was shown stays
}

// A population run or a circuit search cancelled from the Jobs panel gives its button back.
TEST(MainWindow, CancelledRunsGiveTheirButtonsBack) {
    MainWindow w;
    auto* view = openChainPopulation(w);
    ASSERT_NE(view, nullptr);
    Q_EMIT view->runRequested(view->layer(), QStringLiteral("all"), {cx::engine::Criterion::ActGrad, cx::engine::Criterion::Snip});
    EXPECT_TRUE(view->isBusy());
    w.jobs()->cancelAll();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_FALSE(view->isBusy());
    w.circuits()->findCircuit(QStringLiteral("features.3:1"), 0.5);
    EXPECT_TRUE(w.circuitPanel()->isBusy());
    w.jobs()->cancelAll();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_FALSE(w.circuitPanel()->isBusy());
    EXPECT_EQ(w.maskList()->count(), 0);
}

TEST(MainWindow, ScoresAreNotReusedAcrossModelsWithTheSameLayerNames) {
    MainWindow w;
    w.setShowErrorDialogs(false);
    for (const char* name : {"chain", "chain_traced"}) {  // same layer names, different files
        w.openModel(testModel(name));
        ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr && w.jobs()->activeCount() == 0; }));
        EXPECT_TRUE(w.modelPath().endsWith(QStringLiteral("%1.pt").arg(name)));
        w.circuits()->findCircuit(QStringLiteral("features.3:1"), 0.5);
        ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
        EXPECT_EQ(w.lastError(), QString()) << name;
        EXPECT_TRUE(w.circuitPanel()->summaryText().startsWith("features.3:1")) << w.circuitPanel()->summaryText().toStdString();
        EXPECT_EQ(w.maskList()->count(), 1);  // the other model's masks left with it
    }
}

// A found circuit lives in the session of its model: closing the model forgets it and its
// entry in the Masks panel (it could no longer be drawn or saved).
TEST(MainWindow, ClosingTheModelForgetsItsCircuits) {
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openModel(testModel("chain"));
    ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr && w.jobs()->activeCount() == 0; }));
    w.circuits()->findCircuit(QStringLiteral("features.3:1"), 0.5);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    ASSERT_EQ(w.maskList()->count(), 1);
    const QString mask = w.maskList()->masks().first().path;
    EXPECT_TRUE(w.session().has(mask));
    w.closeModel();
    EXPECT_EQ(w.model(), nullptr);
    EXPECT_EQ(w.maskList()->count(), 0);
    EXPECT_FALSE(w.session().has(mask));
    EXPECT_TRUE(w.windowTitle().startsWith("Circuit Explorer")) << w.windowTitle().toStdString();
}

TEST(MainWindow, TheComputeMenuChoosesTheDeviceOfEveryJobAndIsRemembered) {
    QSettings().clear();
    {
        MainWindow w;
        auto* cpu = w.findChild<QAction*>(QStringLiteral("device-cpu"));
        auto* gpu = w.findChild<QAction*>(QStringLiteral("device-auto"));
        ASSERT_TRUE(cpu && gpu);
        cpu->trigger();
        EXPECT_EQ(cx::engine::defaultDevice(), "cpu");
        EXPECT_TRUE(cpu->isChecked());
        EXPECT_EQ(QSettings().value(QStringLiteral("compute/device")).toString(), "cpu");
        gpu->trigger();
        EXPECT_EQ(cx::engine::defaultDevice(), cx::engine::cudaAvailable() ? "cuda" : "cpu");
        cpu->trigger();
    }
    cx::engine::setDeviceChoice("");
    MainWindow again;  // a new window starts on the remembered choice
    EXPECT_TRUE(again.findChild<QAction*>(QStringLiteral("device-cpu"))->isChecked());
    EXPECT_EQ(cx::engine::defaultDevice(), "cpu");
    QSettings().clear();
    cx::engine::setDeviceChoice("");
}

// A token model's data: the demo transformer opens on its held-out addition prompts, shown as
// text; Find Circuit runs on them; another model does not inherit them.
TEST(MainWindow, TheDemoTransformerFindsCircuitsOnItsOwnPrompts) {
    const QString transformer = QString::fromStdString(cx::app::demoTransformerPath());
    if (!QFile::exists(transformer)) GTEST_SKIP() << "demo transformer not trained";
    QSettings().clear();
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openModel(transformer);
    ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr && w.jobsPanel()->runningCount() == 0; }));
    EXPECT_TRUE(QRegularExpression(QStringLiteral("^addition: [1-9][0-9]+ token sequences of 7 tokens$"))
                    .match(w.dataPanel()->sourceText())
                    .hasMatch())
        << w.dataPanel()->sourceText().toStdString();
    EXPECT_GT(w.dataPanel()->thumbnailCount(), 0);
    auto settings = w.circuitPanel()->settings();
    settings.target = QStringLiteral("block1.mlp.fc:3");
    settings.criterion = cx::engine::Criterion::ActGrad;
    settings.sparsity = 0.002;
    w.circuits()->findCircuit(settings);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }, 120000));
    EXPECT_EQ(w.lastError(), QString());
    EXPECT_GT(w.circuitPanel()->view()->nodeItemCount(), 0);
    // Visualisations need an image model: a token model's vertices stay plain, with no error.
    w.circuitPanel()->setPictureMode(cx::widgets::PictureMode::Visualisation);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_EQ(w.lastError(), QString());
    for (const auto& n : w.circuitPanel()->view()->diagram().nodes) EXPECT_NE(n.image.kind, "visualisation") << n.id;
    w.circuitPanel()->setPictureMode(cx::widgets::PictureMode::Crop);
    w.openModel(testModel("chain"));
    ASSERT_TRUE(waitUntil([&] { return w.modelPath().endsWith("chain.pt") && w.jobsPanel()->runningCount() == 0; }));
    EXPECT_TRUE(w.dataPanel()->sourceText().startsWith("Demo shapes")) << w.dataPanel()->sourceText().toStdString();
}

// What is not a file, opened from the GUI (a FIFO, a device, a folder as a model or as the
// data), gives an error with the reason: no hang, no crash, the open model kept.
TEST(MainWindow, NotAFileGivesAnErrorAndNeverHangs) {
    QTemporaryDir dir;
    const QString fifo = dir.filePath(QStringLiteral("pipe.pt"));
    ASSERT_EQ(::mkfifo(fifo.toLocal8Bit().constData(), 0600), 0);
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openModel(testModel("chain"));
    ASSERT_TRUE(waitUntil([&] { return w.model() != nullptr && w.jobsPanel()->runningCount() == 0; }));
    for (const auto& [path, kind] : {std::pair{fifo, QStringLiteral("a FIFO")}, std::pair{QStringLiteral("/dev/zero"), QStringLiteral("a device")},
                                     std::pair{dir.path(), QStringLiteral("a folder")}}) {
        w.openModel(path);
        ASSERT_TRUE(waitUntil([&] { return w.jobsPanel()->runningCount() == 0 && w.lastError().contains(kind); }, 20000))
            << path.toStdString() << ": " << w.lastError().toStdString();
        EXPECT_TRUE(w.modelPath().endsWith("chain.pt"));
    }
    w.data()->setData(fifo);
    EXPECT_TRUE(waitUntil([&] { return w.jobsPanel()->runningCount() == 0 && w.lastError().contains("a FIFO"); }, 20000))
        << w.lastError().toStdString();
}

// The diagram's picture switch: each unit's feature visualisation w.r.t. the circuit shown,
// arriving in the background and equal to the engine's own for that circuit; from the disk
// cache the second time; back to the dataset crops, and the first layer's kernels. A clicked
// unit's top images in the model and in the circuit appear under the diagram.
TEST(MainWindow, DiagramVerticesShowVisualisationsAndAClickedUnitItsTopImages) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    using cx::widgets::PictureMode;
    MainWindow w;
    w.setShowErrorDialogs(false);
    QTemporaryDir cache;
    w.circuits()->setVisualisationSteps(6);
    w.circuits()->setVisualisationCache(cache.path());
    w.openDemoModel();
    auto* view = w.circuitPanel()->view();
    ASSERT_TRUE(waitUntil([&] { return view->nodeItemCount() > 0 && w.jobs()->activeCount() == 0; })) << w.lastError().toStdString();
    const auto pictured = [&](const std::string& kind) {
        size_t n = 0;
        for (const auto& node : view->diagram().nodes) n += node.layer >= 0 && node.image.kind == kind;
        return n;
    };
    size_t units = 0;
    for (const auto& node : view->diagram().nodes) units += node.layer >= 0 && node.kind == cx::engine::NodeKind::Unit;
    ASSERT_GT(units, 4u);
    EXPECT_EQ(pictured("crop") + pictured("kernel"), units);  // laid out with the dataset crops

    // A long run cancelled: the job ends, the vertices that had no picture yet stay plain.
    w.circuits()->setVisualisationSteps(400);
    w.circuitPanel()->setPictureMode(PictureMode::Visualisation);
    ASSERT_EQ(w.jobs()->activeCount(), 1);
    w.jobs()->cancelAll();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_LT(pictured("visualisation"), units);
    EXPECT_EQ(pictured("crop"), 0u);

    w.circuits()->setVisualisationSteps(6);
    QStringList messages;
    QObject::connect(w.circuits(), &cx::app::Controller::statusMessage, [&](const QString& m) { messages << m; });
    w.circuitPanel()->setPictureMode(PictureMode::Crop);  // a real switch: the next one starts afresh
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    w.circuitPanel()->setPictureMode(PictureMode::Visualisation);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && pictured("visualisation") == units; })) << w.lastError().toStdString();
    EXPECT_TRUE(messages.filter(QStringLiteral("Visualised")).size() >= 1) << messages.join('\n').toStdString();
    EXPECT_TRUE(messages.contains(QStringLiteral("Visualised %1 of %1 units").arg(units))) << messages.join('\n').toStdString();
    EXPECT_EQ(QDir(cache.path()).entryList({QStringLiteral("*.safetensors")}).size(), int(units));

    // The engine's own visualisation of one unit w.r.t. the shown circuit (no cache): the same picture.
    const auto shown = view->diagram();
    const auto mask = w.session().maskInMemory(QString::fromStdString(shown.mask));
    ASSERT_TRUE(mask != nullptr);
    const auto& node = *std::find_if(shown.nodes.begin(), shown.nodes.end(), [](const auto& n) { return n.target; });
    cx::engine::VisSettings settings;
    settings.steps = 6;
    settings.height = settings.width = 64;  // the demo shapes: 64 x 64 in 0..1
    settings.normalize = false;
    cx::engine::JobContext job;
    auto own = cx::engine::visualizeUnits(*w.workspace(), mask, {{"features.conv4", node.unit}}, settings, job);
    ASSERT_TRUE(own) << own.error().message;
    EXPECT_EQ(own.value()[0].crop.rgb, node.image.rgb);
    EXPECT_EQ(own.value()[0].crop.width, node.image.width);

    // Crops and kernels: the first layer shows its filters in both, deeper units only in crops.
    w.circuitPanel()->setPictureMode(PictureMode::Kernel);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && pictured("visualisation") == 0; }));
    EXPECT_GT(pictured("kernel"), 0u);
    for (const auto& n : view->diagram().nodes)
        if (n.layer >= 0 && n.rank != "features.conv1") EXPECT_TRUE(n.image.empty()) << n.id;
    w.circuitPanel()->setPictureMode(PictureMode::Crop);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && pictured("crop") > 0; }));
    EXPECT_EQ(pictured("crop") + pictured("kernel"), units);

    // Visualisations again: every picture from the cache, so the job is short and the same.
    w.circuitPanel()->setPictureMode(PictureMode::Visualisation);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && pictured("visualisation") == units; }));
    EXPECT_EQ(view->diagram().nodes[size_t(&node - shown.nodes.data())].image.rgb, node.image.rgb);
    // The choice is remembered for the next window.
    EXPECT_EQ(QSettings().value(QStringLiteral("diagram/pictures")).toInt(), int(PictureMode::Visualisation));
    w.circuitPanel()->setPictureMode(PictureMode::Crop);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));

    auto* examples = w.circuitPanel()->unitExamples();
    EXPECT_FALSE(examples->isVisibleTo(w.circuitPanel()));
    Q_EMIT w.circuitPanel()->unitExamplesRequested(QStringLiteral("features.conv4:27"));
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && examples->rowCount() == 2; })) << w.lastError().toStdString();
    EXPECT_TRUE(examples->isVisibleTo(w.circuitPanel()));
    EXPECT_TRUE(examples->title().startsWith("features.conv4:27")) << examples->title().toStdString();
    EXPECT_EQ(examples->patchCount(0), 8);
    EXPECT_EQ(examples->patchCount(1), 8);
    // While the examples are open, resting on another vertex shows that unit's; closed, hovering asks for nothing.
    QString other;
    for (const auto& n : view->diagram().nodes)
        if (n.kind == cx::engine::NodeKind::Unit && n.rank == "features.conv3" && !n.dead) other = QString::fromStdString(n.id);
    ASSERT_FALSE(other.isEmpty());
    Q_EMIT view->unitHovered(other);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && examples->unit() == other && examples->rowCount() == 2; }));
    EXPECT_TRUE(examples->title().startsWith(other)) << examples->title().toStdString();
    examples->hide();
    Q_EMIT view->unitHovered(QStringLiteral("features.conv4:27"));
    EXPECT_EQ(w.jobs()->activeCount(), 0);
    EXPECT_EQ(examples->unit(), other);
    Q_EMIT w.circuitPanel()->unitExamplesRequested(QStringLiteral("input:0"));  // an input channel has none
    EXPECT_EQ(w.jobs()->activeCount(), 0);
}

// The Probes tab: the circuit target's surface over arcs in the model and the circuit shown,
// equal to the engine's; a clicked cell prunes the unit's subcircuit for that one probe image.
TEST(MainWindow, TheProbesTabMeasuresSurfacesAndPrunesForOneProbe) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openDemoModel();
    auto* view = w.circuitPanel()->view();
    ASSERT_TRUE(waitUntil([&] { return view->nodeItemCount() > 0 && w.jobs()->activeCount() == 0; })) << w.lastError().toStdString();
    auto* probes = w.probePanel();
    w.probes()->measure();
    EXPECT_EQ(probes->unit(), QStringLiteral("features.conv4:27"));  // the circuit's target
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && !probes->surface().model.empty(); })) << w.lastError().toStdString();
    const auto shown = probes->surface();
    ASSERT_EQ(shown.model.size(), 8u * 24u);
    ASSERT_EQ(shown.circuit.size(), 8u * 24u);
    EXPECT_EQ(shown.rowName, QStringLiteral("radius"));
    cx::engine::ProbeSpec spec;
    spec.height = spec.width = 64;  // the demo shapes' space: 64 x 64 in 0..1
    spec.normalize = false;
    spec.strokeWidth = 64.0 / 21.0;
    cx::engine::JobContext job;
    const auto mask = w.session().maskInMemory(QString::fromStdString(view->diagram().mask));
    auto own = cx::engine::activationSurface(*w.workspace(), mask, "features.conv4", 27, spec, job);
    ASSERT_TRUE(own) << own.error().message;
    EXPECT_EQ(own.value().model, shown.model);
    EXPECT_EQ(own.value().circuit, shown.circuit);
    EXPECT_TRUE(probes->caption().contains("Model: best")) << probes->caption().toStdString();
    // The best cell's own subcircuit.
    const size_t best = size_t(std::max_element(shown.model.begin(), shown.model.end()) - shown.model.begin());
    probes->pickCell(int(best / 24), int(best % 24));
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && probes->surface().circuitCaption.startsWith("Subcircuit"); }))
        << w.lastError().toStdString();
    EXPECT_EQ(probes->surface().model, shown.model);
    EXPECT_NE(probes->surface().circuit, shown.circuit);
    EXPECT_TRUE(probes->caption().contains("Subcircuit for the probe at radius")) << probes->caption().toStdString();
}

// The Clusters tab: the unit's top patches in the engine's clusters (the same partition as
// clusterTopPatches on the session's images), a row of patches each; one click prunes a
// subcircuit per cluster, drawing each one's curve on every cluster and the per-layer IoU.
TEST(MainWindow, TheClustersTabGroupsTopPatchesAndPrunesPerCluster) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openDemoModel();
    auto* view = w.circuitPanel()->view();
    ASSERT_TRUE(waitUntil([&] { return view->nodeItemCount() > 0 && w.jobs()->activeCount() == 0; })) << w.lastError().toStdString();
    auto* panel = w.clusterPanel();
    panel->setUnit(QStringLiteral("features.conv4:34"));
    w.clusters()->cluster();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && w.clusters()->result(); })) << w.lastError().toStdString();
    const auto shown = w.clusters()->result();
    ASSERT_GE(shown->clusterCount, 1u) << panel->caption().toStdString();
    cx::engine::PolysemanticSpec spec;
    spec.images = w.session().imagesForJobs().toStdString();
    spec.layer = shown->layer;
    spec.unit = shown->unit;
    cx::engine::JobContext job;
    auto own = cx::engine::clusterTopPatches(*w.workspace(), spec, job);
    ASSERT_TRUE(own) << own.error().message;
    EXPECT_EQ(own.value().labels, shown->labels);
    const bool noise = std::count(shown->labels.begin(), shown->labels.end(), -1) > 0;
    EXPECT_EQ(panel->rowCount(), int(shown->clusterCount) + (noise ? 1 : 0));
    EXPECT_TRUE(panel->caption().contains("top patches")) << panel->caption().toStdString();

    const int listed = w.maskList()->count();
    w.clusters()->pruneClusters();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && panel->curveCount() > 0; })) << w.lastError().toStdString();
    // Each cluster's subcircuit is in the Masks list, its file written, to be drawn or compared.
    ASSERT_EQ(w.maskList()->count(), listed + int(shown->clusterCount));
    const auto entry = w.maskList()->masks().back();
    EXPECT_TRUE(QFile::exists(entry.path)) << entry.path.toStdString();
    EXPECT_TRUE(entry.name.startsWith("features.conv4:34 cluster")) << entry.name.toStdString();
    const auto pruned = w.clusters()->result();
    ASSERT_TRUE(pruned->groups.front().mask);
    EXPECT_EQ(panel->curveCount(), int(shown->clusterCount * shown->clusterCount));
    EXPECT_EQ(pruned->sparsities, cx::engine::defaultPolysemanticSparsities());
    EXPECT_TRUE(panel->caption().contains("subcircuits")) << panel->caption().toStdString();
    // Another model (or none) forgets these clusters.
    w.closeModel();
    EXPECT_FALSE(w.clusters()->result());
    EXPECT_EQ(panel->rowCount(), 0);
    EXPECT_EQ(panel->curveCount(), 0);
}

// The Neurons tab on the hand-built token model of tests/data/text: its tokenizer and masked model
// are found beside it; ranking, the top examples, the MAEs and the local search arrive in turn.
TEST(MainWindow, TheNeuronsTabReadsALanguageModelsNeurons) {
    MainWindow w;
    w.setShowErrorDialogs(false);
    const QString dir = QStringLiteral(CX_TEST_DATA "/text/");
    w.openModel(dir + "trigger_lm.pt");
    ASSERT_TRUE(waitUntil([&] { return w.session().isOpen() && w.jobs()->activeCount() == 0; })) << w.lastError().toStdString();
    auto* panel = w.neuronPanel();
    EXPECT_EQ(panel->layer(), QStringLiteral("detect"));
    auto paths = panel->paths();
    EXPECT_TRUE(paths.tokenizer.endsWith("text/tokenizer.json")) << paths.tokenizer.toStdString();
    EXPECT_TRUE(paths.mlm.endsWith("text/fixed_mlm.pt")) << paths.mlm.toStdString();
    paths.corpus = dir + "corpus.txt";
    panel->setPaths(paths);
    w.neurons()->rank();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && !panel->examplesText().isEmpty(); })) << w.lastError().toStdString();
    EXPECT_EQ(panel->neuronCount(), 2);
    EXPECT_TRUE(panel->findChild<QPushButton*>()->isEnabled());  // not left busy
    EXPECT_TRUE(panel->caption().contains("2 neurons of detect ranked over 38 tokens")) << panel->caption().toStdString();
    panel->selectNeuron(0);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && panel->examplesText().contains("detect:0"); }));
    EXPECT_TRUE(panel->examplesText().contains("a big dog barked")) << panel->examplesText().toStdString();
    w.neurons()->minimalExamples();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && !panel->minimalExamplesText().isEmpty(); }));
    EXPECT_TRUE(panel->minimalExamplesText().contains("big dog")) << panel->minimalExamplesText().toStdString();
    EXPECT_TRUE(panel->minimalExamplesText().contains("huge dog")) << panel->minimalExamplesText().toStdString();
    w.neurons()->search();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && panel->hasGraph(); })) << w.lastError().toStdString();
    const QString search = panel->searchText();
    EXPECT_TRUE(search.contains("positives")) << search.toStdString();
    EXPECT_TRUE(search.contains("huge dog")) << search.toStdString();
    EXPECT_TRUE(search.contains("red dog")) << search.toStdString();
    // The neuron's circuit on its top examples: three of the 2 x 22 weights ("dog", and "big" or
    // "huge" before it) are the detector itself, so the circuit keeps every example's value.
    const int listed = w.maskList()->count();
    panel->setCircuitSparsity(0.07);  // round(0.07 x 44) = 3
    w.neurons()->findCircuit();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && !panel->circuitText().isEmpty(); })) << w.lastError().toStdString();
    const QString circuit = panel->circuitText();
    EXPECT_TRUE(circuit.contains("kept 3 of the 44 weights")) << circuit.toStdString();
    EXPECT_TRUE(circuit.contains("f-norm on these examples: 0.000")) << circuit.toStdString();
    EXPECT_TRUE(circuit.contains("4 of 4 are the model's too")) << circuit.toStdString();
    ASSERT_EQ(w.maskList()->count(), listed + 1);
    EXPECT_TRUE(QFile::exists(w.maskList()->masks().back().path));
    EXPECT_TRUE(w.maskList()->masks().back().name.startsWith("detect:0 on its examples")) << w.maskList()->masks().back().name.toStdString();
    Q_EMIT panel->showCircuitRequested();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && w.circuitPanel()->view()->nodeItemCount() > 0; }))
        << w.lastError().toStdString();
    EXPECT_EQ(w.currentTab(), w.circuitPanel());
    w.closeModel();
    EXPECT_EQ(panel->neuronCount(), 0);
    EXPECT_FALSE(panel->hasGraph());
}

// The Equivalence tab on two circuits of the demo CNN's curve unit: the 10% circuit's units all
// have their equivalent in the 20% circuit (ActGrad's top-k sets are nested), each unit its
// namesake, lit in both diagrams; the other way round not all do.
TEST(MainWindow, TheEquivalenceTabFindsOneCircuitInsideAnother) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.openDemoModel();
    ASSERT_TRUE(waitUntil([&] { return w.circuitPanel()->view()->nodeItemCount() > 0 && w.jobs()->activeCount() == 0; }))
        << w.lastError().toStdString();
    w.circuits()->findCircuit(QStringLiteral("features.conv4:27"), 0.2);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && w.maskList()->count() == 2; })) << w.lastError().toStdString();
    const auto masks = w.maskList()->masks();
    auto* view = w.equivalenceView();
    cx::widgets::EquivalenceSettings settings{masks[0].path, masks[1].path, false, true};
    view->setSettings(settings);
    ASSERT_EQ(view->settings().maskA, masks[0].path);
    w.equivalence()->run();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && view->rowCount() > 0; })) << w.lastError().toStdString();
    const QRegularExpression counts(QStringLiteral("^(\\d+) of (\\d+) units of A have an equivalent"));
    auto match = counts.match(view->caption());
    ASSERT_TRUE(match.hasMatch()) << view->caption().toStdString();
    EXPECT_EQ(match.captured(1), match.captured(2));
    EXPECT_EQ(view->rowCount(), match.captured(1).toInt());
    for (int side = 0; side < 2; ++side) {
        EXPECT_GT(view->diagram(side)->nodeItemCount(), 0);
        EXPECT_FALSE(view->diagram(side)->highlightedNodes().empty());
    }
    // The matched units are lit: every lit vertex of A is a unit of a row.
    std::set<std::string> rowsA;
    view->selectRow(-1);
    for (size_t i : view->diagram(0)->highlightedNodes()) rowsA.insert(view->diagram(0)->diagram().nodes[i].id);
    EXPECT_EQ(int(rowsA.size()), view->rowCount());
    // The string view: one matrix per layer compared; a unit against its namesake reads alike.
    EXPECT_EQ(view->similarityLayerCount(), 4);
    const auto* sim = view->shownSimilarity();
    ASSERT_NE(sim, nullptr);
    EXPECT_EQ(sim->layer, QStringLiteral("features.conv3"));  // the most pairs
    ASSERT_EQ(sim->values.size(), size_t(sim->unitsA.size() * sim->unitsB.size()));
    const int self = sim->unitsB.indexOf(sim->unitsA.front());
    ASSERT_GE(self, 0);
    EXPECT_GT(sim->values[size_t(self)], 0.0);

    // The other way round: some unit of the 20% circuit has no equivalent in the 10% one.
    view->setSettings({masks[1].path, masks[0].path, false, true});
    w.equivalence()->run();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0 && counts.match(view->caption()).hasMatch() &&
                                       counts.match(view->caption()).captured(2).toInt() != match.captured(2).toInt(); }));
    auto reverse = counts.match(view->caption());
    EXPECT_LT(reverse.captured(1).toInt(), reverse.captured(2).toInt()) << view->caption().toStdString();
}
