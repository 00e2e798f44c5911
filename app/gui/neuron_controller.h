#pragma once
// The Neurons tab (seed 003) for language models: a layer's neurons ranked over a corpus in one
// batched pass, then for the neuron picked its top examples coloured token by token, its minimal
// activating examples, the local search with a masked language model and the behaviour graph.
// Every step is a background job; the corpus read, the ranking and the MAEs are kept for the next.
#include <memory>

#include "app/gui/controller.h"

namespace cx::widgets {
class NeuronPanel;
}

namespace cx::app {

struct NeuronData;  // the corpus in windows, its tokenizer and the ranking (neuron_controller.cpp)
struct MaeData;

class NeuronController : public Controller {
    Q_OBJECT
public:
    NeuronController(Session& session, JobRunner& jobs, widgets::NeuronPanel* panel, QObject* parent);

    /// A model was opened or closed: its linear layers, its tokenizer and masked LM beside it when
    /// there are, the demo corpus; what was computed on the last one is forgotten.
    void modelOpened();
    /// Ranks every neuron of the panel's layer by its largest value over the corpus.
    void rank();
    /// The top examples of `unit` (from the ranking) with every token coloured.
    void showNeuron(int64_t unit);
    /// The selected neuron's minimal activating examples.
    void minimalExamples();
    /// Local search around them (computed first when missing) and the behaviour graph.
    void search();

private:
    widgets::NeuronPanel* m_panel;
    std::shared_ptr<const NeuronData> m_data;
    std::shared_ptr<const MaeData> m_maes;
};

}  // namespace cx::app
