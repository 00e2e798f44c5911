#pragma once
// The Neurons tab (seed 003) for language models: a layer's neurons ranked over a corpus in one
// batched pass, then for the neuron picked its top examples coloured token by token, its minimal
// activating examples, the local search with a masked language model, the behaviour graph, and
// its circuit (pruned on its top examples) with its examples read in the circuit beside the
// model's. Every step is a background job; the corpus read, the ranking and the MAEs are kept for the next.
#include <memory>

#include "app/gui/controller.h"

namespace cx::widgets {
class MaskList;
class NeuronPanel;
}

namespace cx::app {

struct NeuronData;  // the corpus in windows, its tokenizer and the ranking (neuron_controller.cpp)
struct MaeData;

class NeuronController : public Controller {
    Q_OBJECT
public:
    NeuronController(Session& session, JobRunner& jobs, widgets::NeuronPanel* panel, widgets::MaskList* masks, QObject* parent);

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
    /// The selected neuron's circuit, pruned on its top examples, and its examples in the circuit
    /// beside the model's; the mask joins the Masks list.
    void findCircuit();
    /// The last circuit found here (its mask file), empty when none.
    QString circuitMask() const { return m_circuitMask; }

Q_SIGNALS:
    /// Draw this mask in the Circuit tab.
    void showCircuitRequested(const QString& maskPath);

private:
    widgets::NeuronPanel* m_panel;
    widgets::MaskList* m_masks;
    QString m_circuitMask;
    std::shared_ptr<const NeuronData> m_data;
    std::shared_ptr<const MaeData> m_maes;
};

}  // namespace cx::app
