#pragma once
// The Data dock: choosing the images jobs run on, their thumbnails, and the units of the selected
// layer with their mean activations (to pick a target).
#include "app/gui/controller.h"

namespace cx::widgets {
class DataPanel;
}

namespace cx::app {

class DataController : public Controller {
    Q_OBJECT
public:
    DataController(Session& session, JobRunner& jobs, widgets::DataPanel* panel, QObject* parent);

    /// Chooses the images jobs run on: a folder or safetensors file; empty: the demo shapes.
    void setData(const QString& path);
    /// Lists the units of `layer` with their mean activation on the chosen images.
    void showUnits(const QString& layer);
    /// The layer of the model's tree at `index` was selected.
    void layerSelected(int index);
    QString unitsLayer() const { return m_unitsLayer; }
    /// A new model: no units listed yet.
    void modelOpened();

Q_SIGNALS:
    /// A unit was chosen in the panel as the target (LAYER:UNIT).
    void unitPicked(const QString& target);

private:
    widgets::DataPanel* m_panel;
    QString m_unitsLayer;  // the layer whose units are listed
};

}  // namespace cx::app
