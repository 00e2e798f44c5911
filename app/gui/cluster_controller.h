#pragma once
// The Clusters tab: a unit's top patches clustered by the layer's response to them (on the
// session's images), then one subcircuit per cluster with the Circuit tab's criterion, its
// cross-preservation curves and the per-layer IoU. The clusters found are kept for the prune.
#include <memory>

#include "app/gui/controller.h"
#include "engine/vis/polysemantic.h"

namespace cx::widgets {
class CircuitPanel;
class ClusterPanel;
class MaskList;
}  // namespace cx::widgets

namespace cx::app {

class ClusterController : public Controller {
    Q_OBJECT
public:
    ClusterController(Session& session, JobRunner& jobs, widgets::ClusterPanel* panel, widgets::CircuitPanel* circuits,
                      widgets::MaskList* masks, QObject* parent);

    /// Clusters the panel's unit's top patches (a background job; the rows arrive with their patches).
    void cluster();
    /// A subcircuit per cluster of the last clustering (and the control halves when asked); each
    /// one's mask joins the Masks list, to be drawn or compared.
    void pruneClusters();
    /// A model was opened or closed: the clusters of the last one are forgotten.
    void modelOpened();
    /// The last clustering, with its subcircuits once pruned (null before the first).
    std::shared_ptr<const engine::PolysemanticResult> result() const { return m_result; }

private:
    widgets::ClusterPanel* m_panel;
    widgets::CircuitPanel* m_circuits;
    widgets::MaskList* m_masks;
    engine::PolysemanticSpec m_spec;
    std::shared_ptr<const engine::PolysemanticResult> m_result;
};

}  // namespace cx::app
