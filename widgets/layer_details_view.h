#pragma once
// The central "Model" view: an overview of the model, or the details of one layer (geometry,
// parameters, where its input channels come from, which layers read its output).
#include <QTextBrowser>

#include "engine/model/layer_info.h"

namespace cx::widgets {

class LayerDetailsView : public QTextBrowser {
    Q_OBJECT
public:
    explicit LayerDetailsView(QWidget* parent = nullptr);

    void setModel(const engine::ModelSummary& summary);
    void clearModel();
    /// -1 shows the model overview.
    void showLayer(int layer);
    int shownLayer() const { return m_layer; }

private:
    engine::ModelSummary m_summary;
    int m_layer = -1;
    bool m_hasModel = false;

    QString overviewHtml() const;
    QString layerHtml(int layer) const;
};

}  // namespace cx::widgets
