#pragma once
// The Probes tab: a unit's activation surface over a probe set, in the model and in the circuit
// the Circuit tab shows; a clicked cell prunes the unit's subcircuit for that one probe image
// (the Circuit tab's criterion and sparsity) and shows that subcircuit's surface beside the model's.
#include "app/gui/controller.h"

namespace cx::widgets {
class CircuitPanel;
class ProbePanel;
}  // namespace cx::widgets

namespace cx::app {

class ProbeController : public Controller {
    Q_OBJECT
public:
    ProbeController(Session& session, JobRunner& jobs, widgets::ProbePanel* panel, widgets::CircuitPanel* circuits, QObject* parent);

    /// Measures the panel's unit on its probe set, in the model and the circuit shown.
    void measure();
    /// The subcircuit of the panel's unit for the probe in row `r`, column `c`, and its surface.
    void pruneForCell(int r, int c);

private:
    widgets::ProbePanel* m_panel;
    widgets::CircuitPanel* m_circuits;
};

}  // namespace cx::app
