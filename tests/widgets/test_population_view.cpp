// The Population view: median and interquartile curves per criterion, the histogram at a chosen
// sparsity, the sortable unit table, streaming, and a unit opened by a double-click.
#include <gtest/gtest.h>

#include <QHeaderView>
#include <QMouseEvent>
#include <QTableWidget>

#include "widgets/chart.h"
#include "widgets/population_view.h"

using cx::engine::Criterion;
using cx::engine::CurvePoint;
using cx::widgets::PopulationView;

namespace {

CurvePoint point(int64_t unit, Criterion criterion, double sparsity, double pearson, double dfnorm = 0.5) {
    CurvePoint p;
    p.unit = unit;
    p.criterion = criterion;
    p.sparsity = sparsity;
    p.relevant = 1000;
    p.kept = int64_t(1000 * sparsity);
    p.effectiveKept = p.kept;
    p.pearson = pearson;
    p.dfnorm = dfnorm;
    return p;
}

// Five units of which unit u has |r| = 0.1 (u + 1) at 10% by ActGrad and half that by Random;
// at 50% every unit has 0.95 / 0.9.
std::vector<CurvePoint> population() {
    std::vector<CurvePoint> points;
    for (int64_t u : {4, 0, 3, 1, 2})
        for (Criterion c : {Criterion::Random, Criterion::ActGrad}) {
            const double scale = c == Criterion::ActGrad ? 1.0 : 0.5;
            points.push_back(point(u, c, 0.5, c == Criterion::ActGrad ? 0.95 : 0.9));
            points.push_back(point(u, c, 0.1, scale * 0.1 * double(u + 1), 0.2 * double(u)));
        }
    return points;
}

}  // namespace

TEST(PopulationView, MedianAndQuartileBandsPerCriterionInLegendOrder) {
    PopulationView view;
    view.resize(1000, 600);
    view.setPoints(population(), QStringLiteral("features.conv4"));
    EXPECT_EQ(view.shownCriteria(), (std::vector<Criterion>{Criterion::ActGrad, Criterion::Random}));
    ASSERT_EQ(view.curves()->graphCount(), 6);  // per criterion: q1, q3 (filled to q1), median
    QCPGraph* median = view.curves()->graph(2);
    EXPECT_EQ(median->name(), QStringLiteral("ActGrad"));
    ASSERT_EQ(median->data()->size(), 2);
    // ActGrad at 10%: .1 .2 .3 .4 .5 -> quartiles .2 .3 .4; sorted by sparsity along x.
    EXPECT_DOUBLE_EQ(median->data()->at(0)->key, 0.1);
    EXPECT_NEAR(median->data()->at(0)->value, 0.3, 1e-12);
    EXPECT_NEAR(view.curves()->graph(0)->data()->at(0)->value, 0.2, 1e-12);
    EXPECT_NEAR(view.curves()->graph(1)->data()->at(0)->value, 0.4, 1e-12);
    EXPECT_EQ(view.curves()->graph(1)->channelFillGraph(), view.curves()->graph(0));
    EXPECT_NEAR(view.curves()->graph(5)->data()->at(0)->value, 0.15, 1e-12);  // Random's median: half
    // Hovering a median describes it; clicking it picks that level for the histogram.
    view.setSparsity(0.5);
    const auto rows = view.quartiles();
    int at10 = -1;
    for (size_t i = 0; i < rows.size(); ++i)
        if (rows[i].criterion == Criterion::ActGrad && rows[i].sparsity == 0.1) at10 = int(i);
    ASSERT_GE(at10, 0);
    EXPECT_EQ(view.medianNear(view.pixelOfMedian(at10)), at10);
    EXPECT_TRUE(view.describeMedian(at10).contains(QStringLiteral("quartiles 0.200 \u2013 0.400")));
    const QPointF pixel = view.pixelOfMedian(at10);
    QMouseEvent press(QEvent::MouseButtonPress, pixel, view.curves()->mapToGlobal(pixel), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(view.curves(), &press);
    EXPECT_DOUBLE_EQ(view.sparsity(), 0.1);
}

TEST(PopulationView, HistogramCountsTheUnitsAtTheChosenSparsity) {
    PopulationView view;
    view.setPoints(population(), QStringLiteral("features.conv4"));
    EXPECT_DOUBLE_EQ(view.sparsity(), 0.1);  // the default level when it is there
    auto counts = view.histogramCounts();
    ASSERT_EQ(counts.size(), 2u);
    // 20 bins of 0.05: ActGrad's .1 .2 .3 .4 .5 fall in bins 2, 4, 6, 8, 10 (Random's half in 1, 2, 3, 4, 5).
    for (int b = 0; b < PopulationView::kBins; ++b) {
        EXPECT_EQ(counts[0][size_t(b)], (b == 2 || b == 4 || b == 6 || b == 8 || b == 10) ? 1 : 0) << b;
        EXPECT_EQ(counts[1][size_t(b)], (b >= 1 && b <= 5) ? 1 : 0) << b;
    }
    EXPECT_EQ(view.histogram()->plottableCount(), 2);
    ASSERT_TRUE(view.setSparsity(0.5));
    counts = view.histogramCounts();
    EXPECT_EQ(counts[0][19], 5);  // 0.95
    EXPECT_EQ(counts[1][18], 5);  // 0.9
    EXPECT_FALSE(view.setSparsity(0.3));  // not a level of this population
    // delta-f-norm: bins over [0, max(1, largest)] = [0, 1]; units' 0 .2 .4 .6 .8 at 10%.
    view.setSparsity(0.1);
    view.setMetric(cx::engine::CurveMetric::DeltaFNorm);
    counts = view.histogramCounts();
    for (int b : {0, 4, 8, 12, 16}) EXPECT_EQ(counts[0][size_t(b)], 1) << b;
    EXPECT_EQ(view.curves()->yAxis->label(), QStringLiteral("median \u0394f-norm"));
}

TEST(PopulationView, TableSortsByPreservationAndADoubleClickOpensTheUnit) {
    PopulationView view;
    view.setPoints(population(), QStringLiteral("features.conv4"));
    QTableWidget* table = view.table();
    ASSERT_EQ(table->rowCount(), 5);
    ASSERT_EQ(table->columnCount(), 3);
    EXPECT_EQ(table->horizontalHeaderItem(1)->text(), QStringLiteral("ActGrad"));
    EXPECT_EQ(table->item(0, 0)->text(), QStringLiteral("0"));  // by unit at first
    EXPECT_EQ(table->item(4, 0)->text(), QStringLiteral("4"));
    table->sortByColumn(1, Qt::DescendingOrder);
    EXPECT_EQ(table->item(0, 0)->text(), QStringLiteral("4"));
    EXPECT_EQ(table->item(0, 1)->text(), QStringLiteral("0.500"));
    EXPECT_EQ(table->item(4, 0)->text(), QStringLiteral("0"));
    // Another level keeps the chosen order.
    view.setSparsity(0.5);
    EXPECT_EQ(table->horizontalHeader()->sortIndicatorSection(), 1);
    EXPECT_EQ(table->item(0, 1)->text(), QStringLiteral("0.950"));

    struct Opened {
        QString target;
        Criterion criterion;
        double sparsity;
    };
    std::vector<Opened> opened;
    QObject::connect(&view, &PopulationView::unitOpened,
                     [&](const QString& target, Criterion c, double s) { opened.push_back({target, c, s}); });
    view.setSparsity(0.1);
    view.openRow(0, 2);  // unit 4 in the Random column
    ASSERT_EQ(opened.size(), 1u);
    EXPECT_EQ(opened[0].target, QStringLiteral("features.conv4:4"));
    EXPECT_EQ(opened[0].criterion, Criterion::Random);
    EXPECT_DOUBLE_EQ(opened[0].sparsity, 0.1);
    view.openRow(1, 0);  // the unit column: the first criterion
    ASSERT_EQ(opened.size(), 2u);
    EXPECT_EQ(opened[1].criterion, Criterion::ActGrad);
}

TEST(PopulationView, StreamedPointsReplaceTheirOwnAndTheControlsSayWhatToRun) {
    PopulationView view;
    view.setLayers({QStringLiteral("features.conv1"), QStringLiteral("features.conv4")});
    EXPECT_TRUE(view.setLayer(QStringLiteral("features.conv4")));
    EXPECT_FALSE(view.setLayer(QStringLiteral("classifier.9")));
    view.setUnits(QStringLiteral(" 0-7 "));
    view.setCriteria({Criterion::Snip, Criterion::Magnitude});
    view.setLayers({QStringLiteral("features.conv4"), QStringLiteral("features.conv5")});  // the choice stays
    EXPECT_EQ(view.layer(), QStringLiteral("features.conv4"));
    EXPECT_EQ(view.units(), QStringLiteral("0-7"));
    EXPECT_EQ(view.criteria(), (std::vector<Criterion>{Criterion::Snip, Criterion::Magnitude}));

    view.setPoints({}, QStringLiteral("features.conv4"));
    view.addPoints({point(3, Criterion::Snip, 0.1, 0.2)});
    view.addPoints({point(3, Criterion::Snip, 0.1, 0.7), point(5, Criterion::Snip, 0.1, 0.1)});
    ASSERT_EQ(view.points().size(), 2u);
    EXPECT_DOUBLE_EQ(view.points()[0].pearson, 0.7);
    EXPECT_EQ(view.table()->rowCount(), 2);
    // Pictures sit beside their units, and go when another layer's units are shown.
    std::vector<cx::engine::NodeImage> pictures(6);
    pictures[5] = {2, 2, std::vector<uint8_t>(12, 200), "crop"};
    view.setPictures(pictures);
    for (int r = 0; r < view.table()->rowCount(); ++r) {
        const bool five = view.table()->item(r, 0)->text() == QStringLiteral("5");
        EXPECT_EQ(view.table()->item(r, 0)->icon().isNull(), !five) << r;
    }
    view.setPoints(view.points(), QStringLiteral("features.conv5"));
    EXPECT_EQ(view.pictureCount(), 0u);
    view.clear();
    EXPECT_EQ(view.table()->rowCount(), 0);
    EXPECT_EQ(view.curves()->graphCount(), 0);
}
