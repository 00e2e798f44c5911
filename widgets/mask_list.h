#pragma once
// The Masks panel: every mask of the session (found circuits, trained masks, opened files),
// each with a name the user can change. Select one to draw it, two to compare them; save one
// under a file name of your choice. It emits intent; the app does the work.
#include <QWidget>

class QAction;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace cx::widgets {

struct MaskEntry {
    QString name;     // shown and editable
    QString path;     // the mask file (safetensors)
    QString kind;     // "circuit" (found by pruning), "learned", "opened"
    QString summary;  // one line: what it keeps
    QString scores;   // the scores file a pruned circuit was cut from (may be empty)
};

class MaskList : public QWidget {
    Q_OBJECT
public:
    explicit MaskList(QWidget* parent = nullptr);

    /// Adds an entry (a mask already listed by path is updated instead) and selects it. Of the
    /// found circuits ("circuit") that keep their given name, only the newest 12 stay.
    void addMask(const MaskEntry& entry);
    void clear();
    QList<MaskEntry> masks() const;
    int count() const;
    /// Paths of the selected entries, in list order.
    QStringList selectedPaths() const;
    void select(const QStringList& paths);
    QString nameOf(const QString& path) const;
    /// The scores file a listed circuit was pruned from (empty for other masks).
    QString scoresOf(const QString& path) const;
    /// Whether Save offers the selected entry's scores (it has a scores file).
    bool canSaveScores() const;

Q_SIGNALS:
    void showRequested(const QString& path);
    void compareRequested(const QString& pathA, const QString& pathB);  // pathB empty: one mask
    void saveRequested(const QString& path, const QString& name);
    void saveScoresRequested(const QString& scoresPath, const QString& name);
    void masksChanged();

private:
    QTreeWidget* m_tree = nullptr;
    QPushButton* m_show = nullptr;
    QPushButton* m_compare = nullptr;
    QPushButton* m_save = nullptr;  // a menu: Save Mask, Save Scores
    QAction* m_saveScores = nullptr;
    QPushButton* m_remove = nullptr;

    QTreeWidgetItem* itemFor(const QString& path) const;
    void updateButtons();
};

}  // namespace cx::widgets
