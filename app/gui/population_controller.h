#pragma once
// The Population tab: preservation curves of every unit of a layer in one background run
// (forward passes shared, points streamed into the view as they come), or a population CSV from
// `cx sweep --units` / `cx merge` read back; a unit double-clicked there becomes the Circuit
// tab's target, found with the population's own settings.
#include <vector>

#include "app/gui/controller.h"
#include "engine/core/options.h"
#include "widgets/circuit_panel.h"  // CircuitSettings

namespace cx::widgets {
class PopulationView;
}

namespace cx::app {

class PopulationController : public Controller {
    Q_OBJECT
public:
    PopulationController(Session& session, JobRunner& jobs, widgets::PopulationView* view, QObject* parent);

    /// Sweeps `units` ("all", "0-47", ...) of `layer` by each criterion at the 13 levels, with
    /// the objective, granularity, bias and min-max of `base` (the Circuit tab's settings).
    void run(const QString& layer, const QString& units, const std::vector<engine::Criterion>& criteria,
             const widgets::CircuitSettings& base);
    /// Shows a population CSV as units of the view's chosen layer (checked against the open model).
    void openCsv(const QString& path);
    /// What each unit of `layer` looks for, in the background, into the table.
    void showPictures(const QString& layer);
    /// The open model's layers that have units to sweep.
    void modelOpened();
    /// What the settings behind the shown population are (a unit opened from it uses these).
    widgets::CircuitSettings settings() const { return m_settings; }
    void setSettings(const widgets::CircuitSettings& settings) { m_settings = settings; }

Q_SIGNALS:
    /// The Circuit tab should find this circuit.
    void circuitRequested(const widgets::CircuitSettings& settings);

private:
    widgets::PopulationView* m_view;
    widgets::CircuitSettings m_settings;
    int m_runId = -1;  // the run in progress (its cancel gives the Run button back)
};

}  // namespace cx::app
