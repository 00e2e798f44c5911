#pragma once
// The Circuit tab: finding a circuit for a target, preservation sweeps, drawing a mask or a
// scores file's circuit, exporting the diagram. The engine runs in the JobRunner on the session's
// workspace; the CircuitPanel only shows results. Found circuits join the Masks panel.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "app/gui/controller.h"
#include "engine/core/options.h"
#include "engine/pruning/pruning_types.h"
#include "widgets/circuit_panel.h"  // CircuitSettings

namespace cx::engine {
struct FoundCircuit;
}
namespace cx::widgets {
class MaskList;
}

namespace cx::app {

/// A sweep of `settings`' target (with its objective, granularity, bias and min-max) by
/// `criteria` on `images`: what the Circuit tab's Sweep and the Population tab run.
engine::SweepRequest sweepRequest(const widgets::CircuitSettings& settings, const QString& images,
                                  const std::vector<engine::Criterion>& criteria);

class CircuitController : public Controller {
    Q_OBJECT
public:
    CircuitController(Session& session, JobRunner& jobs, widgets::CircuitPanel* panel, widgets::MaskList* masks, QObject* parent);

    /// Scores, prunes and draws a circuit in the background, on the session's images. Scores are
    /// reused when only the sparsity, bias or min-max changed, so moving the sparsity slider
    /// re-prunes at once. Nothing is written to disk.
    void findCircuit(const widgets::CircuitSettings& settings);
    /// The same with the panel's other settings.
    void findCircuit(const QString& target, double sparsity);
    /// Preservation curves for several criteria, streamed into the curve view as they come.
    void runSweep(const widgets::CircuitSettings& settings, const std::vector<engine::Criterion>& criteria);
    /// Draws a mask's circuit (a session mask from memory, or any mask file); a file not listed
    /// yet joins the Masks panel.
    void openMask(const QString& path, bool addToList = true);
    /// Opens a scores file (cx score, or a saved one): its target, criterion, unit and objective
    /// fill the Circuit tab and the circuit is pruned from it at the chosen sparsity.
    void openScores(const QString& path);
    /// Writes the shown diagram by extension: SVG, PDF or PNG (at `dpi`) as drawn, pictures and
    /// highlight included; DOT (the Graphviz source) from the engine, in the background.
    void exportDiagram(const QString& path, double dpi = 150);
    /// Asks for a file (and a resolution for PNG), then exportDiagram().
    void chooseDiagramExport();
    /// Draws the shown circuit at another level of detail (expand, collapse, focus) in the
    /// background; views already laid out for this circuit come from memory at once.
    void showDetail(const engine::DetailSpec& spec);

    /// Pictures for the unit vertices of the shown view in `mode`, in the background: crops and
    /// kernels at once, visualisations w.r.t. the shown circuit one by one as they are optimised
    /// (from the disk cache when this circuit's units were visualised before). Every new view
    /// gets the panel's mode; a newer request cancels the one in progress.
    void showPictures(widgets::PictureMode mode);
    /// The top images of a unit ("layer:unit") in the model and in the circuit shown, found in
    /// the background on the session's images and shown under the diagram.
    void showUnitExamples(const QString& unit);
    /// Optimisation steps of the diagram's visualisations (default 512, as cx visualize).
    void setVisualisationSteps(int steps) { m_visSteps = steps; }
    /// Where visualisations are cached (default: engine::defaultVisCacheDir()).
    void setVisualisationCache(const QString& dir) { m_visCache = dir; }

    /// The settings of the last sweep: what a click on a curve point opens (kept in projects).
    widgets::CircuitSettings sweepSettings() const { return m_sweepSettings; }
    void setSweepSettings(const widgets::CircuitSettings& settings) { m_sweepSettings = settings; }

private:
    widgets::CircuitPanel* m_panel;
    widgets::MaskList* m_masks;
    widgets::CircuitSettings m_sweepSettings;
    int m_findId = -1;  // the search in progress (cancelled or replaced, it gives Find back)
    // Laid-out views of the shown circuit by detailKey, so going back and forth is instant.
    std::map<std::string, engine::CircuitDiagram> m_views;
    std::shared_ptr<const engine::CircuitDiagram> m_viewsOf;
    int m_visSteps = 512;
    QString m_visCache;
    // The view (circuit, level of detail, mask) and mode whose pictures were last asked for:
    // the same view shown again (a palette change redraws it) needs no new job.
    std::string m_picturedKey;
    std::shared_ptr<const engine::CircuitDiagram> m_picturedWhole;

    void showFound(const widgets::CircuitSettings& settings, const engine::FoundCircuit& found);
    /// A view was put on screen: its pictures in the panel's mode when that is not the crops
    /// it was laid out with (or when it was too large to get them with its layout).
    void viewShown();
};

}  // namespace cx::app
