#pragma once
// The model panel: the model and its conv / linear layers as a tree, each layer with its
// kind, weight shape, channel counts and (as children) where its input channels come from.
#include <QTreeWidget>

#include "engine/model/layer_info.h"

namespace cx::widgets {

class LayerTreeView : public QTreeWidget {
    Q_OBJECT
public:
    explicit LayerTreeView(QWidget* parent = nullptr);

    /// Shows a model; `title` is the model's file name. An empty summary clears the view.
    void setModel(const engine::ModelSummary& summary, const QString& title);
    void clearModel();
    int layerCount() const { return m_layerItems.size(); }
    /// The item of a layer (by index in the summary), for tests and selection.
    QTreeWidgetItem* layerItem(int layer) const { return m_layerItems.value(layer); }
    void selectLayer(int layer);

Q_SIGNALS:
    void layerSelected(int layer);

private:
    QList<QTreeWidgetItem*> m_layerItems;
    void onSelectionChanged();
};

/// "4x3x3x3"
QString shapeText(const std::vector<int64_t>& shape);
/// "features.3 [0:48] -> 0" style description of one input segment.
QString segmentText(const engine::ModelSummary& summary, const engine::InputSegment& segment);

}  // namespace cx::widgets
