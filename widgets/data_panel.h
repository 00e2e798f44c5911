#pragma once
// The Data panel: which images circuits are scored and trained on (an image folder, a
// safetensors image file, or the built-in demo shapes), a strip of thumbnails, and the units
// of the selected layer with their mean activation on those images, to pick a target from.
#include <vector>

#include <QWidget>

#include "engine/data/data_preview_types.h"

class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QTreeWidget;

namespace cx::widgets {

class DataPanel : public QWidget {
    Q_OBJECT
public:
    explicit DataPanel(QWidget* parent = nullptr);

    /// Shows the chosen set (`source` empty: the demo shapes).
    void setPreview(const QString& source, const engine::DataPreview& preview);
    int thumbnailCount() const;
    QString sourceText() const;

    /// Units of a layer with their mean activation; double-click (or Enter) picks one.
    void setUnits(const engine::UnitActivations& units);
    void clearUnits(const QString& message = QString());
    int unitCount() const;
    /// Units listed with a picture of what they look for.
    int unitPictureCount() const;
    int visibleUnitCount() const;
    /// Hides the units whose number does not contain `text`.
    void filterUnits(const QString& text);
    /// Emits unitPicked for the unit in list row `row` (as a double-click does).
    void pickRow(int row);

Q_SIGNALS:
    void chooseFolderRequested();
    void chooseFileRequested();
    void demoRequested();
    void unitPicked(const QString& target);  // LAYER:UNIT

private:
    QLabel* m_source = nullptr;
    QListWidget* m_thumbs = nullptr;
    QLabel* m_unitsCaption = nullptr;
    QLineEdit* m_filter = nullptr;
    QTreeWidget* m_units = nullptr;
    QString m_layer;
};

}  // namespace cx::widgets
