#pragma once
// The File menu's Open Recent: the last files opened or saved (kept in QSettings), newest first;
// files that no longer exist are shown disabled.
#include <QObject>
#include <QStringList>

class QMenu;

namespace cx::app {

class RecentFiles : public QObject {
    Q_OBJECT
public:
    explicit RecentFiles(QMenu* menu);
    QStringList files() const;
    /// Puts `path` first.
    void add(const QString& path);

Q_SIGNALS:
    void chosen(const QString& path);

private:
    QMenu* m_menu;
    void rebuild();
};

}  // namespace cx::app
