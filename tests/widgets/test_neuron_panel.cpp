// The Neurons tab's panel: ranked neurons with the first selected (and announced), selection by
// unit, the settings it hands the app, and the behaviour graph drawn from SVG.
#include <gtest/gtest.h>

#include "widgets/neuron_panel.h"

using cx::widgets::NeuronPanel;

TEST(NeuronPanel, RanksSelectsAndDrawsTheGraph) {
    NeuronPanel panel;
    panel.setLayers({"block0.mlp.fc", "block1.mlp.fc"}, "block1.mlp.fc");
    EXPECT_EQ(panel.layer(), "block1.mlp.fc");
    std::vector<int64_t> selected;
    QObject::connect(&panel, &NeuronPanel::neuronSelected, [&](int64_t unit) { selected.push_back(unit); });
    panel.setNeurons({{7, 3.5, "war"}, {2, 2.0, "love"}, {9, 1.0, "."}});
    EXPECT_EQ(panel.neuronCount(), 3);
    EXPECT_EQ(panel.selectedNeuron(), 7);
    EXPECT_EQ(selected, std::vector<int64_t>({7}));
    panel.selectNeuron(9);
    EXPECT_EQ(panel.selectedNeuron(), 9);
    EXPECT_EQ(selected.back(), 9);
    const auto s = panel.settings();
    EXPECT_DOUBLE_EQ(s.keep, 0.6);
    EXPECT_DOUBLE_EQ(s.positive, 0.4);
    EXPECT_DOUBLE_EQ(s.negative, 0.7);
    EXPECT_EQ(s.topN, 10);
    panel.setPaths({"/m/tokenizer.json", "/c", "/m/mlm.pt"});
    EXPECT_EQ(panel.paths().mlm, "/m/mlm.pt");
    panel.setExamples("<p><b>3.5</b> the <u>war</u></p>");
    EXPECT_TRUE(panel.examplesText().contains("the war"));
    EXPECT_FALSE(panel.hasGraph());
    panel.setSearch("<p>positives</p>",
                    R"(<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>)");
    EXPECT_TRUE(panel.hasGraph());
    EXPECT_TRUE(panel.searchText().contains("positives"));
    // A new ranking clears what was shown of the last neuron.
    panel.setNeurons({});
    EXPECT_EQ(panel.neuronCount(), 0);
    EXPECT_EQ(panel.selectedNeuron(), -1);
    EXPECT_FALSE(panel.hasGraph());
    EXPECT_TRUE(panel.examplesText().isEmpty());
}
