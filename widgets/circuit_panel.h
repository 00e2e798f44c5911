#pragma once
// The Circuit tab: the circuit-pruning controls (target, criterion, granularity, objective,
// sparsity with the kept count, bias mode, min-max, sweep criteria), the diagram with its tools
// (search, fit, dead ends, export), and beside it the preservation curves and the activation
// scatter. It only emits intent; the app runs the jobs and calls back.
#include <cstdint>
#include <vector>

#include <QStringList>
#include <QWidget>

#include "engine/core/options.h"
#include "engine/diagram/diagram_types.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSlider;

namespace cx::widgets {

class CurveView;
class UnitExamplesView;
class DetailBar;
class DiagramView;
class ScatterView;

/// What the pruning controls ask for (the names are the engine's and the CLI's).
/// The pictures inside a circuit diagram's unit vertices.
enum class PictureMode { Crop, Visualisation, Kernel };

struct CircuitSettings {
    QString target;                      // LAYER:UNIT, or LAYER with a direction file
    QString directionFile;               // coefficients over the layer's channels (eq. 1); empty: one unit
    engine::Criterion criterion = engine::Criterion::ActGrad;
    engine::Granularity granularity = engine::Granularity::Kernel;
    QString objective = QStringLiteral("sum-abs");
    double sparsity = 0.1;               // fraction of relevant units kept
    engine::BiasMode bias = engine::BiasMode::Masked;
    bool minmax = false;
    /// Everything but the sparsity, bias and min-max: equal keys can share one scores file.
    /// FORCE's scores belong to one size and ranking, so for FORCE those are part of the key.
    QString scoringKey() const {
        QString key = target + QLatin1Char('|') + directionFile + QLatin1Char('|') + engine::nameOf(criterion) +
                      QLatin1Char('|') + engine::nameOf(granularity) + QLatin1Char('|') + objective;
        if (criterion == engine::Criterion::Force)
            key += QLatin1Char('|') + QString::number(sparsity, 'g', 12) + (minmax ? QStringLiteral("|minmax") : QString());
        return key;
    }
    /// The target as people read it: "features.conv4:27" or "features.conv4 along dir.txt".
    QString targetLabel() const;
    /// Empty when the target can be searched for, else what is missing.
    QString targetProblem() const;
};

class CircuitPanel : public QWidget {
    Q_OBJECT
public:
    explicit CircuitPanel(QWidget* parent = nullptr);

    DiagramView* view() const { return m_view; }
    DetailBar* detailBar() const { return m_detail; }
    CurveView* curves() const { return m_curves; }
    ScatterView* scatter() const { return m_scatter; }

    CircuitSettings settings() const;
    void setSettings(const CircuitSettings& settings);
    /// A LAYER:UNIT target clears the direction file.
    void setTarget(const QString& target);
    QString target() const;
    /// A direction file makes the target the layer alone (a LAYER:UNIT target loses its unit).
    void setDirectionFile(const QString& path);
    QString directionFile() const;
    double sparsity() const;
    void setSparsity(double fraction);
    /// Criteria ticked for a sweep.
    std::vector<engine::Criterion> sweepCriteria() const;
    void setSweepCriteria(const std::vector<engine::Criterion>& criteria);
    /// The target's relevant unit count once known (0: unknown), for the live kept count.
    void setRelevantCount(int64_t relevant);
    QString keptText() const;

    /// Shows a laid-out diagram with a one-line summary above it.
    void showDiagram(const engine::CircuitDiagram& diagram, const QString& summary);
    void setBusy(bool busy);
    /// While a search runs, Find is off.
    bool isBusy() const;
    QString summaryText() const;
    /// Whether diagrams include dead-end kernels (greyed); off: the effective circuit only.
    bool deadEndsShown() const;
    void setDeadEndsShown(bool shown);
    /// What the unit vertices show: the top-activating dataset crop, the feature visualisation
    /// w.r.t. the circuit shown, or the first layer's kernel weights.
    PictureMode pictureMode() const;
    /// The clicked unit's top images in the model and the circuit, under the diagram.
    UnitExamplesView* unitExamples() const { return m_examples; }
    void setPictureMode(PictureMode mode);

Q_SIGNALS:
    void findRequested(const cx::widgets::CircuitSettings& settings);
    void sweepRequested(const cx::widgets::CircuitSettings& settings, const std::vector<cx::engine::Criterion>& criteria);
    void exportRequested();
    /// The Dead ends box changed: the app lays the shown circuit out again with or without them.
    void deadEndsToggled(bool shown);
    void pictureModeChanged(cx::widgets::PictureMode mode);
    /// A unit vertex was clicked: its dataset examples are wanted.
    void unitExamplesRequested(const QString& unit);
    /// The diagram at another level of detail (the detail bar, or a vertex's expand / collapse / focus).
    void detailRequested(const cx::engine::DetailSpec& spec);

private:
    QLineEdit* m_target = nullptr;
    QLineEdit* m_direction = nullptr;
    QComboBox* m_criterion = nullptr;
    QComboBox* m_granularity = nullptr;
    QComboBox* m_objective = nullptr;
    QSlider* m_slider = nullptr;
    QDoubleSpinBox* m_sparsity = nullptr;
    QLabel* m_kept = nullptr;
    QComboBox* m_bias = nullptr;
    QCheckBox* m_minmax = nullptr;
    QList<QCheckBox*> m_sweepBoxes;
    QPushButton* m_find = nullptr;
    QPushButton* m_sweep = nullptr;
    QPushButton* m_export = nullptr;
    QLineEdit* m_search = nullptr;
    QCheckBox* m_dead = nullptr;
    QComboBox* m_pictures = nullptr;
    UnitExamplesView* m_examples = nullptr;
    QLabel* m_summary = nullptr;
    DiagramView* m_view = nullptr;
    DetailBar* m_detail = nullptr;
    CurveView* m_curves = nullptr;
    ScatterView* m_scatter = nullptr;
    int64_t m_relevant = 0;

    QWidget* buildControls();  // the pruning and sweep groups in a scrolling column, connected
    QGroupBox* buildPruningGroup();
    QGroupBox* buildSweepGroup();
    void connectControls();
    QWidget* buildDirectionRow();
    QWidget* buildDiagramArea();
    void updateKept();
};

}  // namespace cx::widgets
