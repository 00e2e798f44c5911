#pragma once
// The Equivalence tab (seed 004): for two circuits of the open model (masks of the session, or
// the model itself), which units of A have an equivalent in B - every layer both keep, matched
// in a background job - and both circuits drawn with the matched units lit.
#include "app/gui/controller.h"

namespace cx::widgets {
class EquivalenceView;
class MaskList;
}  // namespace cx::widgets

namespace cx::app {

class EquivalenceController : public Controller {
    Q_OBJECT
public:
    EquivalenceController(Session& session, JobRunner& jobs, widgets::EquivalenceView* view, widgets::MaskList* masks, QObject* parent);

    /// A model was opened or closed: the masks offered are the session's; the last answer goes.
    void modelOpened();
    /// Matches A's units in B with the view's settings.
    void run();

private:
    void masksChanged();

    widgets::EquivalenceView* m_view;
    widgets::MaskList* m_masks;
};

}  // namespace cx::app
