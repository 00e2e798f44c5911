#pragma once
// A population of units (seed 002, Figs. 2 and 3): per criterion the median preservation curve
// over every unit of a layer with its interquartile band, the distribution over units at one
// sparsity, and a table of units sortable by preservation. Double-clicking a unit asks for its
// circuit; the run itself (and reading a CSV from `cx sweep --units` or `cx merge`) is the
// controller's.
#include <vector>

#include <QWidget>

#include "engine/diagram/node_image.h"
#include "engine/pruning/population_stats.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace cx::widgets {

class Chart;

class PopulationView : public QWidget {
    Q_OBJECT
public:
    explicit PopulationView(QWidget* parent = nullptr);

    /// The layers whose units can be swept (the open model's); keeps the chosen one when listed.
    void setLayers(const QStringList& layers);
    /// Chooses the layer to run on; false when it is not listed.
    bool setLayer(const QString& layer);
    QString layer() const;
    QString units() const;
    void setUnits(const QString& spec);
    std::vector<engine::Criterion> criteria() const;
    void setCriteria(const std::vector<engine::Criterion>& criteria);

    void clear();
    /// Shows a population's points of `layer` (replacing what was shown).
    void setPoints(const std::vector<engine::CurvePoint>& points, const QString& layer);
    /// Adds points as a run streams them (a point for the same unit, criterion and sparsity replaces the old one).
    void addPoints(const std::vector<engine::CurvePoint>& points);
    const std::vector<engine::CurvePoint>& points() const { return m_points; }
    /// What each unit of the shown layer looks for (indexed by unit), beside it in the table.
    void setPictures(const std::vector<engine::NodeImage>& pictures);
    size_t pictureCount() const { return m_pictures.size(); }
    /// The layer of the points shown (what a unit's target is made of).
    QString shownLayer() const { return m_shownLayer; }
    void setCaption(const QString& caption);
    /// While a run is going: the Run button is off.
    void setBusy(bool busy);
    bool isBusy() const;

    void setMetric(engine::CurveMetric metric);
    engine::CurveMetric metric() const { return m_metric; }
    /// The sparsity of the histogram and the table (one of the points' levels); false when none is.
    bool setSparsity(double sparsity);
    double sparsity() const { return m_sparsity; }

    Chart* curves() const { return m_curves; }
    Chart* histogram() const { return m_histogram; }
    QTableWidget* table() const { return m_table; }
    /// Criteria in legend order.
    std::vector<engine::Criterion> shownCriteria() const;
    /// The quartile rows behind the curves (of the chosen metric).
    const std::vector<engine::PopulationQuartiles>& quartiles() const { return m_quartiles; }
    /// Bin counts per criterion (shownCriteria order) of the histogram at the chosen sparsity.
    std::vector<std::vector<int>> histogramCounts() const;
    static constexpr int kBins = 20;
    /// The criterion a table column shows (column 0, the unit, gives the first criterion).
    engine::Criterion criterionOfColumn(int column) const;
    /// Index into quartiles() of the median point nearest `pixel`; -1 when none within `radius`.
    int medianNear(const QPointF& pixel, double radius = 8.0) const;
    QPointF pixelOfMedian(int index) const;
    QString describeMedian(int index) const;
    /// Asks for the unit in table row `row` as if it were double-clicked in `column`.
    void openRow(int row, int column);

Q_SIGNALS:
    void runRequested(const QString& layer, const QString& units, const std::vector<cx::engine::Criterion>& criteria);
    /// A curve CSV to show (cx sweep --units, cx merge) as units of layer().
    void openCsvRequested(const QString& path);
    /// LAYER:UNIT's circuit by `criterion` at `sparsity`.
    void unitOpened(const QString& target, cx::engine::Criterion criterion, double sparsity);

private:
    QComboBox* m_layer = nullptr;
    QLineEdit* m_units = nullptr;
    std::vector<QCheckBox*> m_criteria;
    QPushButton* m_run = nullptr;
    QComboBox* m_metricBox = nullptr;
    QComboBox* m_sparsityBox = nullptr;
    QLabel* m_caption = nullptr;
    Chart* m_curves = nullptr;
    Chart* m_histogram = nullptr;
    QTableWidget* m_table = nullptr;
    std::vector<engine::CurvePoint> m_points;
    std::vector<engine::NodeImage> m_pictures;
    std::vector<engine::PopulationQuartiles> m_quartiles;  // of m_points by m_metric, made once per change
    QString m_shownLayer;
    engine::CurveMetric m_metric = engine::CurveMetric::Pearson;
    double m_sparsity = 0.1;

    QWidget* buildControls();
    void rebuild();
    void rebuildCurves();
    void rebuildHistogram();
    void rebuildTable();
    void rebuildSparsities();
    double histogramTop() const;
    QString pointsCsv() const;
    QString valuesCsv() const;
};

}  // namespace cx::widgets
