#include <gtest/gtest.h>

#include "widgets/layer_details_view.h"
#include "widgets/layer_tree_view.h"

using namespace cx;

namespace {

// conv a (3 -> 2), conv b (3 -> 5), merge reads cat(a, b); dead unreachable.
engine::ModelSummary concatSummary() {
    engine::ModelSummary s;
    s.path = "/models/concat.pt";
    auto conv = [](const char* name, int64_t in, int64_t out) {
        engine::LayerInfo l;
        l.name = name;
        l.param = std::string(name) + ".weight";
        l.kind = engine::LayerKind::Conv2d;
        l.weightShape = {out, in, 3, 3};
        l.inChannels = in;
        l.outChannels = out;
        l.stride = l.padding = l.dilation = {1, 1};
        return l;
    };
    s.layers = {conv("a", 3, 2), conv("b", 3, 5), conv("merge", 7, 3), conv("dead", 3, 4)};
    s.layers[0].inputs = {{engine::kModelInput, 0, 3, 0, 3, engine::FlowMode::Identity}};
    s.layers[2].inputs = {{0, 0, 2, 0, 2, engine::FlowMode::Identity}, {1, 2, 5, 0, 5, engine::FlowMode::Identity}};
    s.layers[3].reachable = false;
    return s;
}

}  // namespace

TEST(LayerTreeView, ShowsLayersWithInputsAsChildren) {
    widgets::LayerTreeView tree;
    tree.setModel(concatSummary(), "concat.pt");
    ASSERT_EQ(tree.layerCount(), 4);
    EXPECT_EQ(tree.topLevelItem(0)->text(0), "concat.pt");
    EXPECT_EQ(tree.layerItem(2)->text(2), QString::fromUtf8("3\u00d77\u00d73\u00d73"));
    EXPECT_EQ(tree.layerItem(2)->text(3), QString::fromUtf8("7 \u2192 3"));
    ASSERT_EQ(tree.layerItem(2)->childCount(), 2);
    EXPECT_TRUE(tree.layerItem(2)->child(1)->text(0).contains("b channels 0\u20134"));
    EXPECT_TRUE(tree.layerItem(2)->child(1)->text(0).contains("inputs 2\u20136"));
    EXPECT_TRUE(tree.layerItem(3)->toolTip(0).contains("Dead"));
}

TEST(LayerTreeView, SelectingAnInputRowSelectsItsLayer) {
    widgets::LayerTreeView tree;
    tree.setModel(concatSummary(), "concat.pt");
    int selected = -1;
    QObject::connect(&tree, &widgets::LayerTreeView::layerSelected, [&](int l) { selected = l; });
    tree.setCurrentItem(tree.layerItem(2)->child(0));
    EXPECT_EQ(selected, 2);
}

TEST(LayerDetailsView, ListsInputsAndReaders) {
    widgets::LayerDetailsView view;
    view.setModel(concatSummary());
    EXPECT_TRUE(view.toPlainText().contains("1 (output never reaches"));
    view.showLayer(0);
    const QString text = view.toPlainText();
    EXPECT_TRUE(text.contains("a.weight"));
    EXPECT_TRUE(text.contains("merge (a channels 0\u20131 \u2192 inputs 0\u20131)"));
    view.showLayer(3);
    EXPECT_TRUE(view.toPlainText().contains("dead branch"));
}
