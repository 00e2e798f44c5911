#pragma once
// The Masks panel and the Overlap tab: every circuit found, mask trained or file opened this
// session, named; saving one under a chosen file name; layer-wise comparisons of two masks.
#include "app/gui/controller.h"
#include "engine/core/options.h"

namespace cx::widgets {
class MaskList;
class OverlapView;
}  // namespace cx::widgets

namespace cx::app {

class MasksController : public Controller {
    Q_OBJECT
public:
    MasksController(Session& session, JobRunner& jobs, widgets::MaskList* list, widgets::OverlapView* overlap, QObject* parent);

    /// Layer-wise overlap of two masks (pathB empty: one mask, kept vs removed) in the Overlap
    /// tab; session masks are compared in memory.
    void compareMasks(const QString& pathA, const QString& pathB, engine::OverlapBy by);
    /// Writes a session mask (or copies a mask file) to `target` atomically; false, with a
    /// message, on failure.
    bool saveMask(const QString& path, const QString& target);
    /// The same for the scores file a circuit was pruned from.
    bool saveScores(const QString& path, const QString& target);
    /// A trained mask joins the list.
    void addTrained(const QString& path, const QString& name, const QString& summary);

private:
    widgets::MaskList* m_list;
    widgets::OverlapView* m_overlap;

    /// Asks for a file named after `name`, then saveMask() or saveScores().
    void chooseSave(const QString& path, const QString& name, bool scores);
    bool copyOut(const QString& path, const QString& target, const QString& failure);
};

}  // namespace cx::app
