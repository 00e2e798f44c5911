#pragma once
// The Neurons tab (seed 003): for a language model, a layer's neurons ranked by their largest
// value over a corpus; for the neuron picked, its top examples with every token coloured by its
// value, its minimal activating examples, the positives and negatives of the local search with a
// masked language model, its behaviour graph, and its circuit (pruned on its top examples) with
// the examples compared between model and circuit. It draws what it is given (HTML and SVG made
// by the app); the app reads the corpus and runs the model.
#include <cstdint>
#include <vector>

#include <QByteArray>
#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QScrollArea;
class QSpinBox;
class QTableWidget;
class QTabWidget;
class QTextBrowser;

namespace cx::widgets {

struct NeuronRow {
    int64_t unit = 0;
    double top = 0.0;     // the neuron's largest value over the corpus
    QString anchor;       // the token it is reached on
};

struct NeuronPaths {
    QString tokenizer, corpus, mlm;
};

struct SearchSettings {
    double keep = 0.6;       // MAE: the drop allowed
    int window = 0;          // MAE: tokens kept either side of the anchor
    double positive = 0.4, negative = 0.7;
    int topN = 10;           // substitutes per token
    int examples = 3;        // MAEs searched
    double circuitSparsity = 0.05;  // the neuron's circuit: the fraction of relevant weights kept
};

class NeuronPanel : public QWidget {
    Q_OBJECT
public:
    explicit NeuronPanel(QWidget* parent = nullptr);

    /// The layers whose neurons can be read (linear layers), and the one to show.
    void setLayers(const QStringList& layers, const QString& current);
    QString layer() const;
    void setPaths(const NeuronPaths& paths);
    NeuronPaths paths() const;
    SearchSettings settings() const;
    void setCircuitSparsity(double sparsity);
    void setBusy(bool busy);
    /// A message in place of the results (no language model open, a job's outcome).
    void setCaption(const QString& caption);
    QString caption() const;
    /// The ranked neurons (best first); the first is selected, which asks for its examples.
    void setNeurons(const std::vector<NeuronRow>& rows);
    int neuronCount() const;
    /// The selected neuron, -1 when none.
    int64_t selectedNeuron() const;
    void selectNeuron(int64_t unit);
    void setExamples(const QString& html);
    void setMinimalExamples(const QString& html);
    void setSearch(const QString& html, const QByteArray& graphSvg);
    /// The neuron's circuit compared with the model; `canShow`: its mask can be drawn.
    void setCircuit(const QString& html, bool canShow);
    QString examplesText() const;
    QString minimalExamplesText() const;
    QString searchText() const;
    QString circuitText() const;
    bool hasGraph() const { return !m_graphSvg.isEmpty(); }
    /// Raises one of the result pages: 0 examples, 1 MAEs, 2 local search, 3 behaviour graph,
    /// 4 the circuit.
    void showPage(int page);

Q_SIGNALS:
    void rankRequested();
    void neuronSelected(int64_t unit);
    void minimalExamplesRequested();
    void searchRequested();
    void circuitRequested();       // prune the selected neuron's circuit on its top examples
    void showCircuitRequested();   // draw that circuit in the Circuit tab
    void shown();

protected:
    void showEvent(QShowEvent* event) override;

private:
    QComboBox* m_layer = nullptr;
    QLineEdit* m_corpus = nullptr;
    QLineEdit* m_tokenizer = nullptr;
    QLineEdit* m_mlm = nullptr;
    QPushButton* m_rank = nullptr;
    QPushButton* m_mae = nullptr;
    QPushButton* m_search = nullptr;
    QPushButton* m_findCircuit = nullptr;
    QPushButton* m_showCircuit = nullptr;
    QDoubleSpinBox* m_circuitSparsity = nullptr;
    QDoubleSpinBox* m_keep = nullptr;
    QSpinBox* m_window = nullptr;
    QDoubleSpinBox* m_positive = nullptr;
    QDoubleSpinBox* m_negative = nullptr;
    QSpinBox* m_topN = nullptr;
    QSpinBox* m_examples = nullptr;
    QLabel* m_caption = nullptr;
    QTableWidget* m_neurons = nullptr;
    QTabWidget* m_pages = nullptr;
    QTextBrowser* m_examplesView = nullptr;
    QTextBrowser* m_maeView = nullptr;
    QTextBrowser* m_searchView = nullptr;
    QTextBrowser* m_circuitView = nullptr;
    QLabel* m_graph = nullptr;
    QByteArray m_graphSvg;
    std::vector<NeuronRow> m_rows;
};

}  // namespace cx::widgets
