#pragma once
// The Clusters tab (seed 002's polysemantic units, Fig. 5): a unit's top patches grouped into the
// clusters of the layer's response to them, a row of patches per cluster; then, at one click, a
// subcircuit per cluster with each one's delta-f-norm curve on its own cluster (solid) and on
// the others (dashed), and the per-layer IoU of the subcircuits. It draws what it is given; the
// app clusters and prunes.
#include <vector>

#include <QWidget>

#include "engine/diagram/node_image.h"

class QCheckBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace cx::widgets {

class Chart;

struct ClusterRow {
    QString name;                             // "cluster 0", "control A", "unclustered"
    QString caption;                          // "112 patches, stability 3.2"
    std::vector<engine::NodeImage> patches;   // best first (a sample of the cluster's)
};

struct ClusterCurve {
    QString circuit, evaluatedOn;             // group names
    std::vector<double> sparsities, dfnorm;
};

struct ClusterOverlap {
    QString pair;                             // "cluster 0 / cluster 1"
    std::vector<QString> layers;              // input side first
    std::vector<double> iou;                  // NaN where neither keeps a kernel
};

class ClusterPanel : public QWidget {
    Q_OBJECT
public:
    explicit ClusterPanel(QWidget* parent = nullptr);

    void setUnit(const QString& unit);
    QString unit() const;
    int topCount() const;
    int minClusterSize() const;
    bool control() const;
    void setBusy(bool busy);
    /// The clusters (prune becomes possible when there is one); clears the curves.
    void setClusters(const QString& caption, const std::vector<ClusterRow>& rows, bool canPrune);
    void setSubcircuits(const QString& caption, const std::vector<ClusterCurve>& curves, const std::vector<ClusterOverlap>& overlaps);
    int rowCount() const { return int(m_rows.size()); }
    int curveCount() const;
    QString caption() const;

Q_SIGNALS:
    void clusterRequested();
    void pruneRequested();
    /// The tab came into view (the app fills in the unit of the circuit shown).
    void shown();

protected:
    void showEvent(QShowEvent* event) override;

private:
    QLineEdit* m_unit = nullptr;
    QSpinBox* m_top = nullptr;
    QSpinBox* m_minSize = nullptr;
    QPushButton* m_cluster = nullptr;
    QPushButton* m_prune = nullptr;
    QCheckBox* m_control = nullptr;
    QLabel* m_caption = nullptr;
    QGridLayout* m_grid = nullptr;
    Chart* m_curves = nullptr;
    Chart* m_iou = nullptr;
    std::vector<ClusterRow> m_rows;
    bool m_canPrune = false;
    void clearGrid();
};

}  // namespace cx::widgets
