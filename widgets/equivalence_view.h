#pragma once
// The Equivalence tab (seed 004): two circuits (masks of the session, or the model itself), the
// units of A that have an equivalent in B, as a table of the matching, and both circuit diagrams
// side by side with the matched units lit, and the units' strings compared as a similarity
// matrix per layer. It draws what it is given; the app computes.
#include <set>
#include <string>
#include <vector>

#include <QWidget>

#include "engine/diagram/diagram_types.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QTableWidget;
class QTabWidget;
class QCPColorMap;

namespace cx::widgets {

class Chart;
class DiagramView;

struct EquivalenceSettings {
    QString maskA, maskB;    // empty: the model
    bool permuted = false;   // inputs matched up to a permutation (else the same inputs)
    bool contains = true;    // B's units read with only A's inputs on
};

struct EquivalenceRow {
    QString layer, unitA, unitB;
    bool exact = true;
    QString inputs;          // "3->7 5->2" (permuted), empty for the same inputs
};

/// Seed 004's string view of one layer: the similarity of every unit pair's strings, A x B.
struct SimilarityLayer {
    QString layer;
    QStringList unitsA, unitsB;
    std::vector<double> values;  // row-major, unitsA.size() x unitsB.size()
};

class EquivalenceView : public QWidget {
    Q_OBJECT
public:
    explicit EquivalenceView(QWidget* parent = nullptr);

    /// The circuits to choose from: names and mask files (the model is always offered first).
    void setCircuits(const QStringList& names, const QStringList& paths);
    void setSettings(const EquivalenceSettings& settings);
    EquivalenceSettings settings() const;
    void setBusy(bool busy);
    void setCaption(const QString& caption);
    QString caption() const;
    /// The matching; a row picked lights its two units.
    void setRows(const std::vector<EquivalenceRow>& rows);
    int rowCount() const;
    /// A side's diagram (0: A, 1: B) with `lit` units shown and the rest faded; an empty diagram
    /// with `note` in its place (the model alone is too large to draw).
    void setDiagram(int side, const engine::CircuitDiagram& diagram, const std::set<std::string>& lit, const QString& note = {});
    DiagramView* diagram(int side) const;
    void selectRow(int row);
    /// The string similarity matrices (one per layer compared); the layer picked is drawn.
    void setSimilarity(const std::vector<SimilarityLayer>& layers);
    int similarityLayerCount() const { return int(m_similarity.size()); }
    /// The matrix drawn now (its layer and cells), for tests.
    const SimilarityLayer* shownSimilarity() const;
    void showSimilarityLayer(int index);

Q_SIGNALS:
    void runRequested();

private:
    void showRow(int row);

    QComboBox* m_a = nullptr;
    QComboBox* m_b = nullptr;
    QComboBox* m_mode = nullptr;
    QCheckBox* m_contains = nullptr;
    QPushButton* m_run = nullptr;
    QLabel* m_caption = nullptr;
    QTableWidget* m_table = nullptr;
    DiagramView* m_views[2] = {nullptr, nullptr};
    QLabel* m_titles[2] = {nullptr, nullptr};
    std::set<std::string> m_lit[2];
    std::vector<EquivalenceRow> m_rows;
    QTabWidget* m_pages = nullptr;
    QComboBox* m_similarityLayer = nullptr;
    Chart* m_similarityChart = nullptr;
    QCPColorMap* m_similarityMap = nullptr;
    std::vector<SimilarityLayer> m_similarity;
    int m_shownSimilarity = -1;
};

}  // namespace cx::widgets
