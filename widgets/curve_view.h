#pragma once
// Feature preservation curves: |Pearson r| or delta-f-norm against the fraction of kernels kept
// (log axis), one line per criterion, hollow markers at each circuit's effective sparsity, the
// shown circuit ringed. Hovering a point tells its numbers; clicking it asks for that circuit.
#include <vector>

#include <QWidget>

#include "engine/pruning/pruning_types.h"

class QComboBox;
class QLabel;

namespace cx::widgets {

class Chart;

class CurveView : public QWidget {
    Q_OBJECT
public:
    enum class Metric { Pearson, DeltaFNorm };

    explicit CurveView(QWidget* parent = nullptr);

    void clear();
    /// Adds points as a sweep streams them (a point for the same criterion and sparsity replaces the old one).
    void addPoints(const std::vector<engine::CurvePoint>& points);
    const std::vector<engine::CurvePoint>& points() const { return m_points; }
    void setMetric(Metric metric);
    Metric metric() const { return m_metric; }
    /// Rings the point of the circuit shown in the diagram (none when no point matches).
    void setCurrent(engine::Criterion criterion, double sparsity);
    void clearCurrent() { setCurrent(engine::Criterion::ActGrad, -1); }
    void setCaption(const QString& caption);

    Chart* chart() const { return m_chart; }
    /// Criteria in legend order (each drawn by two graphs: its line and the effective markers).
    std::vector<engine::Criterion> criteria() const;
    /// Index into points() of the point nearest `pixel` within `radius` pixels; -1 when none.
    int pointNear(const QPointF& pixel, double radius = 8.0) const;
    /// The on-screen position of points()[index].
    QPointF pixelOf(int index) const;
    /// What hovering points()[index] shows.
    QString describe(int index) const;
    /// One row per point: criterion, sparsity, counts, effective sparsity, both metrics.
    QString csv() const;

    static QString criterionLabel(engine::Criterion criterion);
    /// A criterion's place in legends (the engine's order of criteria), which also fixes its
    /// colour, so that every chart draws a criterion alike from one run to the next.
    static int criterionIndex(engine::Criterion criterion);

Q_SIGNALS:
    void pointClicked(engine::Criterion criterion, double sparsity);

private:
    Chart* m_chart = nullptr;
    QComboBox* m_metricBox = nullptr;
    QLabel* m_caption = nullptr;
    std::vector<engine::CurvePoint> m_points;
    Metric m_metric = Metric::Pearson;
    engine::Criterion m_currentCriterion = engine::Criterion::ActGrad;
    double m_currentSparsity = -1;

    double valueOf(const engine::CurvePoint& p) const;
    void rebuild();
};

}  // namespace cx::widgets
