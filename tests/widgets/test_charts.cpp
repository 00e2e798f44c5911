// Chart views: the preservation curves' series, effective-sparsity markers, metric switch,
// hit testing and click; the activation scatter; exports of every format; the pruning
// controls' live kept count and the settings they emit.
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QPushButton>
#include <QTemporaryDir>

#include "widgets/chart.h"
#include "widgets/circuit_panel.h"
#include "widgets/curve_view.h"
#include "widgets/scatter_view.h"

using cx::engine::CurvePoint;
using cx::widgets::Chart;
using cx::widgets::CircuitPanel;
using cx::widgets::CircuitSettings;
using cx::widgets::CurveView;
using cx::widgets::ScatterView;

namespace {

CurvePoint point(const std::string& criterion, double sparsity, int64_t effective, double pearson, double dfnorm) {
    CurvePoint p;
    p.criterion = cx::engine::parseCriterion(criterion).value();
    p.sparsity = sparsity;
    p.relevant = 1000;
    p.kept = int64_t(sparsity * 1000);
    p.effectiveKept = effective;
    p.pearson = pearson;
    p.dfnorm = dfnorm;
    return p;
}

std::vector<CurvePoint> twoCurves() {
    // Given out of order and criteria out of legend order: the view sorts both.
    return {point("random", 0.5, 400, 0.6, 0.7), point("actgrad", 0.1, 50, 0.9, 0.2), point("random", 0.1, 20, 0.1, 0.95),
            point("actgrad", 0.5, 450, 0.99, 0.05), point("actgrad", 0.01, 0, 0.0, 1.0)};
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void click(QWidget* widget, QPointF at) {
    QMouseEvent press(QEvent::MouseButtonPress, at, widget->mapToGlobal(at), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(widget, &press);
    QMouseEvent release(QEvent::MouseButtonRelease, at, widget->mapToGlobal(at), Qt::LeftButton, Qt::NoButton, Qt::NoModifier);
    QCoreApplication::sendEvent(widget, &release);
}

}  // namespace

TEST(CurveView, OneLinePerCriterionWithEffectiveSparsityMarkers) {
    CurveView view;
    view.addPoints(twoCurves());
    EXPECT_EQ(view.criteria(), (std::vector{cx::engine::Criterion::ActGrad, cx::engine::Criterion::Random}));
    auto* chart = view.chart();
    ASSERT_EQ(chart->graphCount(), 4);  // a line and an effective-marker series per criterion
    EXPECT_EQ(chart->graph(0)->name(), QStringLiteral("ActGrad"));
    EXPECT_EQ(chart->graph(2)->name(), QStringLiteral("Random"));
    const auto* line = chart->graph(0)->data().data();
    ASSERT_EQ(line->size(), 3);
    EXPECT_DOUBLE_EQ(line->at(0)->key, 0.01);  // sorted by sparsity
    EXPECT_DOUBLE_EQ(line->at(1)->value, 0.9);
    EXPECT_DOUBLE_EQ(line->at(2)->value, 0.99);
    const auto* effective = chart->graph(1)->data().data();
    ASSERT_EQ(effective->size(), 2);  // the disconnected 1% circuit has no effective sparsity on a log axis
    EXPECT_DOUBLE_EQ(effective->at(0)->key, 0.05);
    EXPECT_DOUBLE_EQ(effective->at(1)->key, 0.45);
    EXPECT_EQ(chart->xAxis->scaleType(), QCPAxis::stLogarithmic);

    view.setMetric(CurveView::Metric::DeltaFNorm);
    EXPECT_DOUBLE_EQ(chart->graph(0)->data()->at(1)->value, 0.2);
    EXPECT_EQ(chart->yAxis->label(), QStringLiteral("\u0394f-norm"));

    view.setCurrent(cx::engine::Criterion::Random, 0.5);
    ASSERT_EQ(chart->graphCount(), 5);  // the ring around the shown circuit
    EXPECT_DOUBLE_EQ(chart->graph(4)->data()->at(0)->value, 0.7);

    view.addPoints({point("random", 0.5, 410, 0.65, 0.6)});  // a recomputed point replaces the old one
    EXPECT_EQ(view.points().size(), 5u);
    const QStringList rows = view.csv().trimmed().split('\n');
    ASSERT_EQ(rows.size(), 6);
    EXPECT_TRUE(rows[0].startsWith("criterion,sparsity,relevant,kept,effective_kept,effective_sparsity"));
    EXPECT_TRUE(rows.contains(QStringLiteral("random,0.5,1000,500,410,0.41,0,0.65,0.6"))) << view.csv().toStdString();
}

TEST(CurveView, HoverDescribesAndClickOpensThePointUnderTheMouse) {
    CurveView view;
    view.resize(600, 400);
    view.show();
    view.addPoints(twoCurves());
    view.chart()->replot();
    auto clickedCriterion = cx::engine::Criterion::Random;
    double clickedSparsity = -1;
    QObject::connect(&view, &CurveView::pointClicked, [&](cx::engine::Criterion c, double s) {
        clickedCriterion = c;
        clickedSparsity = s;
    });
    for (int i = 0; i < int(view.points().size()); ++i) EXPECT_EQ(view.pointNear(view.pixelOf(i)), i);
    const int target = 1;  // actgrad at 10%
    EXPECT_EQ(view.pointNear(view.pixelOf(target) + QPointF(5, -3)), target);
    EXPECT_EQ(view.pointNear(view.pixelOf(target) + QPointF(40, 40)), -1);
    EXPECT_TRUE(view.describe(target).contains("ActGrad")) << view.describe(target).toStdString();
    EXPECT_TRUE(view.describe(target).contains("|Pearson r| = 0.900"));
    EXPECT_TRUE(view.describe(target).contains("100 of 1000"));
    click(view.chart(), view.pixelOf(target));
    EXPECT_EQ(clickedCriterion, cx::engine::Criterion::ActGrad);
    EXPECT_DOUBLE_EQ(clickedSparsity, 0.1);
}

TEST(Chart, ExportsPngSvgPdfAndCsvAndRefusesOtherFormats) {
    CurveView view;
    view.resize(500, 350);
    view.addPoints(twoCurves());
    QTemporaryDir dir;
    const Chart* chart = view.chart();
    ASSERT_EQ(chart->exportTo(dir.filePath("c.png"), view.csv()), QString());
    QImage png(dir.filePath("c.png"));
    ASSERT_FALSE(png.isNull());
    EXPECT_EQ(png.width(), 2 * std::max(chart->width(), 400));
    ASSERT_EQ(chart->exportTo(dir.filePath("c.svg"), view.csv()), QString());
    const QByteArray svg = readAll(dir.filePath("c.svg"));
    EXPECT_TRUE(svg.contains("<svg")) << svg.left(200).toStdString();
    EXPECT_TRUE(svg.contains("ActGrad"));  // the legend is text, not pixels
    ASSERT_EQ(chart->exportTo(dir.filePath("c.pdf"), view.csv()), QString());
    EXPECT_TRUE(readAll(dir.filePath("c.pdf")).startsWith("%PDF-"));
    ASSERT_EQ(chart->exportTo(dir.filePath("c.csv"), view.csv()), QString());
    EXPECT_EQ(QString::fromUtf8(readAll(dir.filePath("c.csv"))), view.csv());
    EXPECT_TRUE(chart->exportTo(dir.filePath("c.bmp"), view.csv()).contains("unknown export format"));
    EXPECT_FALSE(QFile::exists(dir.filePath("c.bmp")));
    EXPECT_TRUE(chart->exportTo(dir.filePath("missing/c.png"), view.csv()).contains("cannot write"));
}

TEST(ScatterView, ShowsEveryPairOnTheDiagonalScaleAndExportsThem) {
    ScatterView view;
    const std::vector<float> original = {0.f, 1.f, 2.f, 4.f}, circuit = {0.f, 0.5f, 2.5f, 3.f};
    view.setData(original, circuit, 0.97, "ActGrad at 10%");
    EXPECT_EQ(view.pointCount(), 4);
    EXPECT_TRUE(view.caption().contains("|r| = 0.970 over 4 values")) << view.caption().toStdString();
    ASSERT_EQ(view.chart()->graphCount(), 2);  // the y = x line and the dots
    const auto* dots = view.chart()->graph(1)->data().data();
    ASSERT_EQ(dots->size(), 4);
    EXPECT_DOUBLE_EQ(dots->at(2)->key, 2.0);
    EXPECT_DOUBLE_EQ(dots->at(2)->value, 2.5);
    EXPECT_EQ(view.chart()->xAxis->range().lower, view.chart()->yAxis->range().lower);  // same scale both ways
    EXPECT_EQ(view.csv(), QStringLiteral("original,circuit\n0,0\n1,0.5\n2,2.5\n4,3\n"));
    view.clear();
    EXPECT_EQ(view.pointCount(), 0);
    EXPECT_EQ(view.chart()->graphCount(), 0);
}

TEST(CircuitPanel, KeptCountFollowsTheSparsityAndFindEmitsTheSettings) {
    CircuitPanel panel;
    CircuitSettings wanted;
    wanted.target = "features.conv4:27";
    wanted.criterion = cx::engine::Criterion::Snip;
    wanted.granularity = cx::engine::Granularity::Filter;
    wanted.objective = "max";
    wanted.sparsity = 0.05;
    wanted.bias = cx::engine::BiasMode::Pruned;
    wanted.minmax = true;
    panel.setSettings(wanted);
    panel.setRelevantCount(2144);
    EXPECT_EQ(panel.keptText(), QStringLiteral("107 of 2,144 relevant filters"));  // round(0.05 x 2144)
    panel.setSparsity(0.1);
    EXPECT_EQ(panel.keptText(), QStringLiteral("214 of 2,144 relevant filters"));
    panel.setTarget("features.conv3:1");  // another target: the count is unknown until scored
    EXPECT_TRUE(panel.keptText().startsWith("10% of the relevant")) << panel.keptText().toStdString();

    CircuitSettings emitted;
    QObject::connect(&panel, &CircuitPanel::findRequested, [&](const CircuitSettings& s) { emitted = s; });
    QPushButton* find = nullptr;
    for (auto* b : panel.findChildren<QPushButton*>())
        if (b->text() == QStringLiteral("Find Circuit")) find = b;
    ASSERT_NE(find, nullptr);
    find->click();
    EXPECT_EQ(emitted.target, QStringLiteral("features.conv3:1"));
    EXPECT_EQ(emitted.criterion, cx::engine::Criterion::Snip);
    EXPECT_EQ(emitted.granularity, cx::engine::Granularity::Filter);
    EXPECT_EQ(emitted.objective, QStringLiteral("max"));
    EXPECT_DOUBLE_EQ(emitted.sparsity, 0.1);
    EXPECT_EQ(emitted.bias, cx::engine::BiasMode::Pruned);
    EXPECT_TRUE(emitted.minmax);
    EXPECT_EQ(emitted.scoringKey(), QStringLiteral("features.conv3:1||snip|filter|max"));

    for (auto* box : panel.findChildren<QCheckBox*>())
        if (box->text() == QStringLiteral("FORCE")) box->setChecked(false);
    EXPECT_EQ(panel.sweepCriteria(), (std::vector{cx::engine::Criterion::ActGrad, cx::engine::Criterion::Snip, cx::engine::Criterion::Magnitude, cx::engine::Criterion::Random}));
}

// A direction target: choosing a file keeps the layer alone, a unit target clears the file,
// the file is part of the scoring key, and incomplete targets say what is missing.
TEST(CircuitPanel, DirectionFileMakesTheTargetALayer) {
    CircuitPanel panel;
    panel.setTarget("features.conv4:27");
    panel.setRelevantCount(2144);
    panel.setDirectionFile("/data/dir.txt");
    EXPECT_EQ(panel.target(), QStringLiteral("features.conv4"));
    EXPECT_TRUE(panel.keptText().startsWith("10% of the relevant")) << panel.keptText().toStdString();
    const auto s = panel.settings();
    EXPECT_EQ(s.directionFile, QStringLiteral("/data/dir.txt"));
    EXPECT_EQ(s.targetLabel(), QStringLiteral("features.conv4 along dir.txt"));
    EXPECT_TRUE(s.targetProblem().isEmpty()) << s.targetProblem().toStdString();
    EXPECT_EQ(s.scoringKey(), QStringLiteral("features.conv4|/data/dir.txt|actgrad|kernel|sum-abs"));

    panel.setTarget("features.conv2:3");
    EXPECT_TRUE(panel.directionFile().isEmpty());
    EXPECT_TRUE(panel.settings().targetProblem().isEmpty());

    CircuitSettings bad;
    bad.target = "features.conv2";
    EXPECT_TRUE(bad.targetProblem().contains("layer:unit")) << bad.targetProblem().toStdString();
    bad.target = "features.conv2:1";
    bad.directionFile = "d.txt";
    EXPECT_TRUE(bad.targetProblem().contains("a layer alone")) << bad.targetProblem().toStdString();
}
