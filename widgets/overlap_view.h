#pragma once
// Layer-wise mask overlap (seed 000, Figure 1): one stacked bar per layer, block (attention
// head, MLP) or tensor with the fractions kept by A only, by both, by B only and by neither,
// and beside it the IoU of the two masks per row. With one mask: kept against removed.
#include <optional>
#include <vector>

#include <QWidget>

#include "engine/masks/subnetworks_types.h"

class QComboBox;
class QLabel;

namespace cx::widgets {

class Chart;

class OverlapView : public QWidget {
    Q_OBJECT
public:
    explicit OverlapView(QWidget* parent = nullptr);

    /// The masks to choose from: (name, path).
    void setMasks(const QList<std::pair<QString, QString>>& masks);
    /// Selects A and B (B empty: one mask) and the grouping (none: as it is), without running anything.
    void choose(const QString& pathA, const QString& pathB, std::optional<engine::OverlapBy> by = std::nullopt);
    engine::OverlapBy by() const;

    /// Shows overlap rows; `nameB` empty means a single mask (rows compare it with itself).
    void setRows(const std::vector<engine::OverlapLine>& rows, const QString& nameA, const QString& nameB);
    const std::vector<engine::OverlapLine>& rows() const { return m_rows; }
    int rowAt(const QPointF& pixel) const;  // -1 outside the bars
    QString describe(int row) const;
    QString csv() const;
    Chart* chart() const { return m_chart; }

Q_SIGNALS:
    void compareRequested(const QString& pathA, const QString& pathB, cx::engine::OverlapBy by);

private:
    QComboBox* m_a = nullptr;
    QComboBox* m_b = nullptr;
    QComboBox* m_by = nullptr;
    QLabel* m_caption = nullptr;
    Chart* m_chart = nullptr;
    Chart* m_iou = nullptr;
    std::vector<engine::OverlapLine> m_rows;
    QString m_nameA, m_nameB;

    bool single() const { return m_nameB.isEmpty(); }
};

}  // namespace cx::widgets
