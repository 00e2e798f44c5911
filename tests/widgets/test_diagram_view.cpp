// The diagram view on a known small circuit: item counts, highlight sets through a unit and
// through a kernel, search, dead ends hidden, and a click on a unit.
#include <gtest/gtest.h>

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QPushButton>
#include <QGraphicsEllipseItem>
#include <QGraphicsItem>
#include <QGraphicsPixmapItem>
#include <QGraphicsRectItem>
#include <QFile>
#include <QImage>
#include <QMouseEvent>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <memory>

#include "widgets/detail_bar.h"
#include "widgets/diagram_view.h"

using cx::engine::CircuitDiagram;
using cx::engine::DiagramEdge;
using cx::engine::DiagramNode;

namespace {

// in:0 -> a:0 -> b:0 -> t:0 (target), in:1 -> a:1 -> b:0, a:1 -> b:1 (b:1 is a dead end)
CircuitDiagram smallCircuit() {
    CircuitDiagram d;
    d.layers = {"input", "a", "b", "t"};
    auto node = [&](const std::string& rank, int64_t unit, double x, double y) {
        DiagramNode n;
        n.rank = rank;
        n.unit = unit;
        n.id = rank + ":" + std::to_string(unit);
        n.x = x;
        n.y = y;
        n.width = n.height = 20;
        d.nodes.push_back(n);
    };
    node("input", 0, 10, 100);
    node("input", 1, 10, 50);
    node("a", 0, 110, 100);
    node("a", 1, 110, 50);
    node("b", 0, 210, 100);
    node("b", 1, 210, 50);
    node("t", 0, 310, 75);
    d.nodes[6].target = true;
    d.nodes[5].dead = true;
    auto edge = [&](size_t from, size_t to, double s, bool dead = false) {
        d.edges.push_back(DiagramEdge{from, to, s, 0.5, 1, 1.0, dead, {}});
    };
    edge(0, 2, 1.0);
    edge(1, 3, 2.0);
    edge(2, 4, 3.0);
    edge(3, 4, 1.5);
    edge(3, 5, 0.5, true);
    edge(4, 6, 4.0);
    d.width = 330;
    d.height = 120;
    d.laidOut = true;
    return d;
}

}  // namespace

TEST(DiagramView, DrawsEveryUnitAndKernel) {
    cx::widgets::DiagramView view;
    view.setDiagram(smallCircuit());
    EXPECT_EQ(view.nodeItemCount(), 7);
    EXPECT_EQ(view.edgeItemCount(), 6);
    view.clear();
    EXPECT_EQ(view.nodeItemCount(), 0);
}

TEST(DiagramView, HighlightsAllPathsThroughAUnitOrAKernel) {
    cx::widgets::DiagramView view;
    view.setDiagram(smallCircuit());
    view.highlightNode(2);  // a:0: upstream in:0, downstream b:0 and the target
    EXPECT_EQ(view.highlightedNodes(), (std::set<size_t>{0, 2, 4, 6}));
    EXPECT_EQ(view.highlightedEdges(), (std::set<size_t>{0, 2, 5}));
    view.highlightNode(4);  // b:0: both branches upstream
    EXPECT_EQ(view.highlightedNodes(), (std::set<size_t>{0, 1, 2, 3, 4, 6}));
    EXPECT_EQ(view.highlightedEdges(), (std::set<size_t>{0, 1, 2, 3, 5}));
    view.highlightEdge(3);  // a:1 -> b:0
    EXPECT_EQ(view.highlightedNodes(), (std::set<size_t>{1, 3, 4, 6}));
    EXPECT_EQ(view.highlightedEdges(), (std::set<size_t>{1, 3, 5}));
    view.clearHighlight();
    EXPECT_TRUE(view.highlightedNodes().empty());
}

TEST(DiagramView, FindsUnitsAndHidesDeadEnds) {
    cx::widgets::DiagramView view;
    view.setDiagram(smallCircuit());
    EXPECT_TRUE(view.findUnit("B:1"));
    EXPECT_EQ(view.highlightedNodes(), (std::set<size_t>{1, 3, 5}));
    EXPECT_FALSE(view.findUnit("c:9"));
    view.setDeadEndsVisible(false);
    int hidden = 0;
    for (auto* item : view.scene()->items())
        if (!item->isVisible()) ++hidden;
    EXPECT_EQ(hidden, 2 + 1);  // the dead unit (with its label) and the dead kernel
}

TEST(DiagramView, ClickingAUnitHighlightsItAndSaysWhichOne) {
    cx::widgets::DiagramView view;
    view.resize(500, 300);
    view.show();
    view.setDiagram(smallCircuit());
    QStringList clicked;
    QObject::connect(&view, &cx::widgets::DiagramView::unitClicked, [&](const QString& id) { clicked << id; });
    const QPointF at = view.mapFromScene(QPointF(310, 120 - 75));  // the target's centre (y flipped)
    const QPointF global = view.viewport()->mapToGlobal(at);
    QMouseEvent press(QEvent::MouseButtonPress, at, global, Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QMouseEvent release(QEvent::MouseButtonRelease, at, global, Qt::LeftButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(view.viewport(), &press);
    QApplication::sendEvent(view.viewport(), &release);
    ASSERT_EQ(clicked.size(), 1);
    EXPECT_EQ(clicked.at(0), QStringLiteral("t:0"));
    EXPECT_EQ(view.highlightedNodes().size(), 6u);  // everything but the dead end reaches the target
}

// Resting the pointer on a unit announces it once, after a short wait; moving off first does not.
TEST(DiagramView, RestingOnAUnitAnnouncesIt) {
    cx::widgets::DiagramView view;
    view.resize(500, 300);
    view.show();
    view.setDiagram(smallCircuit());
    QStringList hovered;
    QObject::connect(&view, &cx::widgets::DiagramView::unitHovered, [&](const QString& id) { hovered << id; });
    auto wait = [](int ms) {  // lets the view's hover timer run
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 20);
    };
    auto moveTo = [&](const QPointF& at) {
        QMouseEvent move(QEvent::MouseMove, at, view.viewport()->mapToGlobal(at), Qt::NoButton, Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(view.viewport(), &move);
    };
    const QPointF target = view.mapFromScene(QPointF(310, 120 - 75)), empty(2, 2);
    moveTo(target);
    moveTo(empty);  // off again at once: nothing
    wait(600);
    EXPECT_TRUE(hovered.isEmpty());
    moveTo(target);
    wait(600);
    ASSERT_EQ(hovered.size(), 1);
    EXPECT_EQ(hovered.at(0), QStringLiteral("t:0"));
    moveTo(target + QPointF(1, 0));  // still on it: no second announcement
    wait(600);
    EXPECT_EQ(hovered.size(), 1);
}

// A unit with a picture is drawn as a framed image (its exact pixels, scaled into the frame);
// a unit without one keeps the numbered circle. Clicks on the picture select its unit.
TEST(DiagramView, NodeImagesAreDrawnInsideTheirFrames) {
    auto d = smallCircuit();
    auto& picture = d.nodes[2].image;  // a:0, a 2 x 1 kernel: red, then grey
    picture.kind = "kernel";
    picture.width = 2;
    picture.height = 1;
    picture.rgb = {255, 0, 0, 128, 128, 128};
    d.nodes[2].width = d.nodes[2].height = 36;
    cx::widgets::DiagramView view;
    view.resize(400, 200);
    view.setDiagram(d);
    QGraphicsPixmapItem* drawn = nullptr;
    QGraphicsItem* frame = nullptr;
    for (auto* item : view.scene()->items())
        if (auto* p = qgraphicsitem_cast<QGraphicsPixmapItem*>(item)) {
            drawn = p;
            frame = p->parentItem();
        }
    ASSERT_NE(drawn, nullptr);
    int pictures = 0;
    for (auto* item : view.scene()->items()) pictures += item->type() == QGraphicsPixmapItem::Type;
    EXPECT_EQ(pictures, 1);
    const QImage image = drawn->pixmap().toImage();
    ASSERT_EQ(image.size(), QSize(2, 1));
    EXPECT_EQ(image.pixelColor(0, 0), QColor(255, 0, 0));
    EXPECT_EQ(image.pixelColor(1, 0), QColor(128, 128, 128));
    EXPECT_EQ(drawn->transformationMode(), Qt::FastTransformation);  // kernels stay crisp
    // Scaled to fill the frame's width (36 pt less the 1.5 pt margins), centred on the unit.
    EXPECT_NEAR(drawn->sceneBoundingRect().width(), 33.0, 1e-6);
    EXPECT_NEAR(drawn->sceneBoundingRect().center().x(), frame->sceneBoundingRect().center().x(), 1e-6);
    EXPECT_EQ(frame->type(), QGraphicsRectItem::Type);
    EXPECT_TRUE(frame->toolTip().contains("filter's weights")) << frame->toolTip().toStdString();
    // The other units keep their circles.
    int circles = 0;
    for (auto* item : view.scene()->items()) circles += item->type() == QGraphicsEllipseItem::Type;
    EXPECT_EQ(circles, 6);
    // A click on the picture highlights its unit's paths.
    const QPoint at = view.mapFromScene(drawn->sceneBoundingRect().center());
    QMouseEvent press(QEvent::MouseButtonPress, at, view.viewport()->mapToGlobal(at), Qt::LeftButton, Qt::LeftButton, Qt::NoModifier);
    QMouseEvent release(QEvent::MouseButtonRelease, at, view.viewport()->mapToGlobal(at), Qt::LeftButton, Qt::NoButton, Qt::NoModifier);
    QApplication::sendEvent(view.viewport(), &press);
    QApplication::sendEvent(view.viewport(), &release);
    EXPECT_TRUE(view.highlightedNodes().count(2));
}

// Exports are what the view draws: a PNG at the chosen resolution with the picture's pixels in
// it, an SVG that embeds the picture, a PDF; other formats are refused with the reason.
TEST(DiagramView, ExportsWhatItDrawsAsPngSvgAndPdf) {
    auto d = smallCircuit();
    auto& picture = d.nodes[2].image;
    picture.kind = "kernel";
    picture.width = picture.height = 1;
    picture.rgb = {255, 0, 0};
    d.nodes[2].width = d.nodes[2].height = 36;
    cx::widgets::DiagramView view;
    view.setDiagram(d);
    QTemporaryDir dir;
    const QString png = dir.filePath("d.png"), svg = dir.filePath("d.svg"), pdf = dir.filePath("d.pdf");
    ASSERT_EQ(view.exportTo(png, 144), QString());
    const QImage image(png);
    const QRectF scene = view.scene()->sceneRect();
    EXPECT_EQ(image.size(), (scene.size() * 2.0).toSize());  // 144 dpi = 2 pixels a point
    const QPointF centre = (QPointF(d.nodes[2].x, d.height - d.nodes[2].y) - scene.topLeft()) * 2.0;
    EXPECT_EQ(image.pixelColor(centre.toPoint()), QColor(255, 0, 0));
    ASSERT_EQ(view.exportTo(svg), QString());
    QFile svgFile(svg);
    ASSERT_TRUE(svgFile.open(QIODevice::ReadOnly));
    const QByteArray svgText = svgFile.readAll();
    EXPECT_TRUE(svgText.contains("<svg"));
    EXPECT_TRUE(svgText.contains("<image")) << "the picture is embedded";
    ASSERT_EQ(view.exportTo(pdf), QString());
    QFile pdfFile(pdf);
    ASSERT_TRUE(pdfFile.open(QIODevice::ReadOnly));
    EXPECT_TRUE(pdfFile.read(5).startsWith("%PDF"));
    EXPECT_TRUE(view.exportTo(dir.filePath("d.jpg")).contains("unknown diagram format '.jpg'"));
    EXPECT_FALSE(QFile::exists(dir.filePath("d.jpg")));
}

namespace {

// The small circuit's overview: "blk" (a, b) as one block vertex between the input and t.
CircuitDiagram overviewOfSmallCircuit() {
    auto whole = std::make_shared<CircuitDiagram>(smallCircuit());
    whole->layerNames = {"blk.a", "blk.b", "t"};
    whole->layerBlocks = {"blk", "blk", "t"};
    CircuitDiagram d;
    d.whole = whole;
    d.layerNames = whole->layerNames;
    d.layerBlocks = whole->layerBlocks;
    d.detail.level = cx::engine::DetailLevel::Block;
    auto group = [&](const std::string& name, cx::engine::NodeKind kind, int layer, double x, int64_t members) {
        DiagramNode n;
        n.kind = kind;
        n.layer = layer;
        n.unit = -1;
        n.id = n.group = name;
        n.members = members;
        n.x = x;
        n.y = 60;
        n.width = 80;
        n.height = 28;
        d.nodes.push_back(n);
    };
    group("input", cx::engine::NodeKind::Layer, -1, 40, 2);
    group("blk", cx::engine::NodeKind::Block, 0, 160, 4);
    group("t", cx::engine::NodeKind::Layer, 2, 280, 1);
    d.nodes[2].target = true;
    d.edges.push_back(DiagramEdge{0, 1, 3.0, 0.5, 2, 1.0, false, {}});
    d.edges.push_back(DiagramEdge{1, 2, 4.0, 0.5, 1, 1.0, false, {}});
    d.width = 330;
    d.height = 120;
    d.laidOut = true;
    return d;
}

}  // namespace

TEST(DiagramView, BlocksAndLayersDrawnAsOneVertexExpandAndCollapse) {
    cx::widgets::DiagramView view;
    std::vector<cx::engine::DetailSpec> asked;
    QObject::connect(&view, &cx::widgets::DiagramView::detailRequested,
                     [&](const cx::engine::DetailSpec& spec) { asked.push_back(spec); });
    view.setDiagram(overviewOfSmallCircuit());
    EXPECT_EQ(view.nodeItemCount(), 3);
    // The block's actions: its units, every kernel, its layers.
    const auto block = view.detailActions(1);
    ASSERT_EQ(block.size(), 3u);
    EXPECT_TRUE(block[0].first.contains("Expand blk to its units"));
    EXPECT_EQ(block[0].second.expanded.at("blk"), cx::engine::DetailLevel::Unit);
    EXPECT_EQ(block[2].second.expanded.at("blk"), cx::engine::DetailLevel::Layer);
    // A double-click on the block asks for its units.
    view.show();
    QApplication::processEvents();
    const QPoint centre = view.mapFromScene(view.scene()->items().isEmpty() ? QPointF() : QPointF(160, 120 - 60));
    QMouseEvent press(QEvent::MouseButtonDblClick, QPointF(centre), view.viewport()->mapToGlobal(QPointF(centre)), Qt::LeftButton,
                      Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(view.viewport(), &press);
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].expanded.at("blk"), cx::engine::DetailLevel::Unit);
    EXPECT_EQ(asked[0].level, cx::engine::DetailLevel::Block);
    // A unit of an expanded block: focus, its kernels, collapse its layer or block.
    auto expanded = smallCircuit();
    expanded.whole = overviewOfSmallCircuit().whole;
    expanded.layerNames = {"blk.a", "blk.b", "t"};
    expanded.layerBlocks = {"blk", "blk", "t"};
    for (auto& n : expanded.nodes) {
        if (n.rank == "a" || n.rank == "b") n.layer = n.rank == "a" ? 0 : 1;
        if (n.rank == "a" || n.rank == "b") n.rank = "blk." + n.rank;
        n.id = n.rank + ":" + std::to_string(n.unit);
    }
    view.setDiagram(expanded);
    const auto unit = view.detailActions(2);  // blk.a:0
    ASSERT_EQ(unit.size(), 4u);
    EXPECT_EQ(unit[0].second.focus, "blk.a:0");
    EXPECT_EQ(unit[1].second.expanded.at("blk.a:0"), cx::engine::DetailLevel::Kernel);
    EXPECT_EQ(unit[2].second.expanded.at("blk.a"), cx::engine::DetailLevel::Layer);
    EXPECT_EQ(unit[3].second.expanded.at("blk"), cx::engine::DetailLevel::Block);
    // A diagram with no circuit behind it (a test's, or an old one) offers nothing.
    view.setDiagram(smallCircuit());
    EXPECT_TRUE(view.detailActions(2).empty());
}

TEST(DetailBar, ShowsTheViewAndAsksForOthers) {
    cx::widgets::DetailBar bar;
    std::vector<cx::engine::DetailSpec> asked;
    QObject::connect(&bar, &cx::widgets::DetailBar::detailRequested, [&](const cx::engine::DetailSpec& spec) { asked.push_back(spec); });
    auto view = overviewOfSmallCircuit();
    view.hiddenEdges = 5;
    bar.setView(view);
    EXPECT_TRUE(asked.empty());  // showing a view asks for nothing
    EXPECT_TRUE(bar.isEnabled());
    EXPECT_EQ(bar.countsText(), QStringLiteral("3 vertices (1 block, 2 layers), 2 edges; 5 weaker not drawn"));
    auto* level = bar.findChild<QComboBox*>();
    ASSERT_NE(level, nullptr);
    level->setCurrentIndex(level->findData(int(cx::engine::DetailLevel::Kernel)));
    ASSERT_EQ(asked.size(), 1u);
    EXPECT_EQ(asked[0].level, cx::engine::DetailLevel::Kernel);
    EXPECT_TRUE(asked[0].expanded.empty());
    // In a focus: Back leaves it, keeping the rest of the spec.
    view.detail.focus = "blk.a:0";
    view.detail.expanded["blk"] = cx::engine::DetailLevel::Unit;
    bar.setView(view);
    EXPECT_TRUE(bar.countsText().startsWith("Focus on blk.a:0"));
    QPushButton* back = nullptr;
    for (auto* b : bar.findChildren<QPushButton*>())
        if (b->text() == QStringLiteral("Back")) back = b;
    ASSERT_NE(back, nullptr);
    back->click();
    ASSERT_EQ(asked.size(), 2u);
    EXPECT_TRUE(asked[1].focus.empty());
    EXPECT_EQ(asked[1].expanded.at("blk"), cx::engine::DetailLevel::Unit);
    for (auto* c : bar.findChildren<QCheckBox*>()) EXPECT_EQ(c->text(), QStringLiteral("All edges (7)"));  // 2 drawn + 5 hidden
}
