// The main workflow end to end on a real display (Xvfb in CI, see tests/app/CMakeLists.txt):
// open the demo, see its first circuit and curves, open another circuit from a curve point,
// re-prune from the slider's scores, train a mask with live plots, stop one early. With
// CX_SCREENSHOT_DIR set it saves a screenshot of every view there (the README's pictures).
#include <QApplication>
#include <QDir>
#include <QTemporaryDir>
#include <QPushButton>
#include <QTabWidget>

#include <gtest/gtest.h>

#include "app/gui/circuit_controller.h"
#include "app/gui/data_controller.h"
#include "app/gui/job_runner.h"
#include "app/gui/main_window.h"
#include "app/gui/masks_controller.h"
#include "app/gui/project_controller.h"
#include "app/resource_dir.h"
#include "engine/masks/subnetworks.h"
#include "engine/model/model.h"
#include "engine/model/workspace.h"
#include "wait.h"
#include "widgets/chart.h"
#include "widgets/circuit_panel.h"
#include "widgets/curve_view.h"
#include "widgets/data_panel.h"
#include "widgets/diagram_view.h"
#include "widgets/mask_list.h"
#include "widgets/overlap_view.h"
#include "widgets/scatter_view.h"
#include "widgets/training_panel.h"

using cx::app::MainWindow;

namespace {

QPushButton* button(QWidget* root, const QString& text) {
    for (auto* b : root->findChildren<QPushButton*>())
        if (b->text() == text) return b;
    return nullptr;
}

void screenshot(MainWindow& w, const QString& name) {
    const QString dir = qEnvironmentVariable("CX_SCREENSHOT_DIR");
    if (dir.isEmpty()) return;
    waitUntil([] { return false; }, 300);  // let the last results paint
    EXPECT_TRUE(w.grab().save(QDir(dir).filePath(name)));
}

void showTab(MainWindow& w, QWidget* page) {
    auto* tabs = qobject_cast<QTabWidget*>(w.centralWidget());
    ASSERT_NE(tabs, nullptr);
    tabs->setCurrentWidget(page);
}

}  // namespace

TEST(Workflow, DemoCircuitCurvesTrainingAndStop) {
    if (!QFile::exists(QString::fromStdString(cx::app::demoModelPath()))) GTEST_SKIP() << "demo model not trained";
    MainWindow w;
    w.setShowErrorDialogs(false);
    w.resize(1280, 800);
    w.show();
    w.openDemoModel();
    ASSERT_TRUE(waitUntil([&] { return w.model() && w.jobs()->activeCount() == 0; }, 120000)) << w.lastError().toStdString();
    auto* circuit = w.circuitPanel();
    ASSERT_GT(circuit->view()->nodeItemCount(), 0);
    ASSERT_EQ(circuit->curves()->points().size(), 52u);
    EXPECT_EQ(w.dataPanel()->thumbnailCount(), 24);
    EXPECT_TRUE(w.dataPanel()->sourceText().startsWith("Demo shapes: 256 images, 3 \u00d7 64 \u00d7 64, 6 classes"))
        << w.dataPanel()->sourceText().toStdString();
    screenshot(w, "circuit-tab.png");
    // Every vertex has its picture: colour swatches, conv1's kernels, deeper units' crops.
    for (const auto& n : circuit->view()->diagram().nodes) EXPECT_FALSE(n.image.empty()) << n.id;
    if (const QString dir = qEnvironmentVariable("CX_SCREENSHOT_DIR"); !dir.isEmpty())
        EXPECT_EQ(circuit->view()->exportTo(QDir(dir).filePath("circuit-diagram.png"), 200), QString());

    // Picking a target: a layer's units with their mean activations; a double-click sets the target.
    ASSERT_TRUE(w.selectLayer(QStringLiteral("features.conv3")));
    ASSERT_TRUE(waitUntil([&] { return w.dataPanel()->unitCount() == 48; }));
    EXPECT_EQ(w.dataPanel()->unitPictureCount(), 48);  // each with its top-activating crop
    w.dataPanel()->filterUnits(QStringLiteral("1"));
    EXPECT_EQ(w.dataPanel()->visibleUnitCount(), 14);  // 1, 10-19, 21, 31, 41
    w.dataPanel()->filterUnits(QString());
    QString picked;
    QObject::connect(w.dataPanel(), &cx::widgets::DataPanel::unitPicked, [&](const QString& t) { picked = t; });
    w.dataPanel()->pickRow(0);  // sorted by mean activation: the most active unit first
    EXPECT_TRUE(picked.startsWith("features.conv3:"));
    EXPECT_EQ(circuit->target(), picked);
    screenshot(w, "units.png");
    circuit->setTarget(QStringLiteral("features.conv4:27"));

    // A curve point, clicked where it is drawn, opens that circuit.
    auto* curves = circuit->curves();
    int snipAt5 = -1;
    for (size_t i = 0; i < curves->points().size(); ++i)
        if (curves->points()[i].criterion == cx::engine::Criterion::Snip && curves->points()[i].sparsity == 0.05) snipAt5 = int(i);
    ASSERT_GE(snipAt5, 0);
    const QPointF at = curves->pixelOf(snipAt5);
    ASSERT_EQ(curves->pointNear(at), snipAt5);
    QMouseEvent press(QEvent::MouseButtonPress, at, curves->chart()->mapToGlobal(at), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(curves->chart(), &press);
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_TRUE(circuit->summaryText().contains("SNIP, 5%")) << circuit->summaryText().toStdString();
    EXPECT_EQ(circuit->settings().criterion, cx::engine::Criterion::Snip);

    // Another sparsity with the same scores: pruned again without scoring (well under the scoring time).
    auto s = circuit->settings();
    s.sparsity = 0.02;
    circuit->setSettings(s);
    QElapsedTimer t;
    t.start();
    button(circuit, QStringLiteral("Find Circuit"))->click();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_TRUE(circuit->summaryText().contains("SNIP, 2%")) << circuit->summaryText().toStdString();
    EXPECT_TRUE(circuit->keptText().startsWith("43 of 2,144")) << circuit->keptText().toStdString();  // round(0.02 x 2144)

    // Mask training with live plots: every step arrives, in order.
    auto* training = w.trainingPanel();
    showTab(w, training);
    cx::widgets::TrainSettings ts;
    ts.granularity = cx::engine::Granularity::Kernel;
    ts.layers = "features.*";
    ts.preserve = "features.conv4:27";
    ts.lambda = 1.5e-4;
    ts.epochs = 6;
    training->setSettings(ts);
    button(training, QStringLiteral("Train Mask"))->click();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }, 120000));
    EXPECT_TRUE(training->resultText().startsWith("Kept")) << training->resultText().toStdString();
    EXPECT_TRUE(training->resultText().contains("|Pearson r|"));
    ASSERT_EQ(training->steps().size(), 6u * 4u);  // 256 images in batches of 64
    for (size_t i = 0; i < training->steps().size(); ++i) EXPECT_EQ(training->steps()[i].step, int64_t(i));
    EXPECT_EQ(training->lossChart()->graph(0)->dataCount(), 24);
    EXPECT_LT(training->steps().back().fractionKept, training->steps().front().fractionKept);
    screenshot(w, "training-tab.png");

    // Stop keeps the masks of the last step.
    ts.epochs = 200;
    training->setSettings(ts);
    button(training, QStringLiteral("Train Mask"))->click();
    ASSERT_TRUE(waitUntil([&] { return training->steps().size() >= 3; }));
    button(training, QStringLiteral("Stop"))->click();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }, 5000));
    EXPECT_TRUE(training->resultText().contains("Stopped early")) << training->resultText().toStdString();
    EXPECT_LT(training->steps().size(), 200u * 4u);

    // Every circuit and mask of the session is listed; two circuits compared layer by layer.
    auto* masks = w.maskList();
    ASSERT_EQ(masks->count(), 5);  // ActGrad 10%, SNIP 5%, SNIP 2%, and two learned masks
    const auto listed = masks->masks();
    EXPECT_EQ(listed[0].name, QStringLiteral("ActGrad 10% features.conv4:27"));
    EXPECT_EQ(listed[3].kind, QStringLiteral("learned"));
    masks->select({listed[0].path, listed[1].path});
    button(masks, QStringLiteral("Compare"))->click();
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    const auto& rows = w.overlapView()->rows();
    ASSERT_EQ(rows.size(), 4u);  // conv1 .. conv4 hold the relevant kernels
    int64_t keptA = 0, keptB = 0;
    for (const auto& r : rows) {
        keptA += r.onlyA + r.both;
        keptB += r.onlyB + r.both;
    }
    EXPECT_EQ(keptA, 214);  // round(10% x 2144)
    EXPECT_EQ(keptB, 107);  // round(5% x 2144)
    EXPECT_TRUE(w.overlapView()->describe(3).contains("features.conv4"));
    screenshot(w, "overlap-tab.png");

    // Saving writes the same bytes; a mask of another model is refused with the reason.
    const QString saved = QDir::temp().filePath(QStringLiteral("cx_workflow_mask.safetensors"));
    ASSERT_TRUE(w.masks()->saveMask(listed[0].path, saved));
    QFile a(listed[0].path), b(saved);
    ASSERT_TRUE(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    EXPECT_EQ(a.readAll(), b.readAll());
    QFile::remove(saved);
    cx::engine::MagnitudeRequest other;
    other.model = CX_TEST_DATA "/models/chain.pt";
    other.out = QDir::temp().filePath(QStringLiteral("cx_workflow_chain_mask.safetensors")).toStdString();
    ASSERT_TRUE(cx::engine::runMagnitude(other).ok());
    w.circuits()->openMask(QString::fromStdString(other.out));
    ASSERT_TRUE(waitUntil([&] { return w.jobs()->activeCount() == 0; }));
    EXPECT_TRUE(w.lastError().contains("was made for another model")) << w.lastError().toStdString();
    EXPECT_EQ(masks->count(), 5);
    QFile::remove(QString::fromStdString(other.out));

    // The session saved as a project reopens in a new window with the same named masks.
    QTemporaryDir projectDir;
    const QString project = projectDir.filePath(QStringLiteral("demo.cxproj"));
    ASSERT_TRUE(w.projects()->saveProject(project)) << w.lastError().toStdString();
    MainWindow reopened;
    reopened.setShowErrorDialogs(false);
    reopened.projects()->openProject(project);
    ASSERT_TRUE(waitUntil([&] { return reopened.model() && reopened.jobs()->activeCount() == 0; }));
    EXPECT_EQ(reopened.lastError(), QString());
    ASSERT_EQ(reopened.maskList()->count(), masks->count());
    for (int i = 0; i < masks->count(); ++i) {
        EXPECT_EQ(reopened.maskList()->masks()[i].name, masks->masks()[i].name);
        QFile before(masks->masks()[i].path), after(reopened.maskList()->masks()[i].path);
        ASSERT_TRUE(before.open(QIODevice::ReadOnly) && after.open(QIODevice::ReadOnly));
        EXPECT_EQ(before.readAll(), after.readAll()) << masks->masks()[i].name.toStdString();
    }
    EXPECT_EQ(reopened.circuitPanel()->curves()->points().size(), circuit->curves()->points().size());
}
