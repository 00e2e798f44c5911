#include "app/gui/theme.h"

#include <QApplication>
#include <QPalette>

namespace cx::app {

void applyDarkTheme(bool dark) {
    static const QPalette original = qApp->palette();
    if (!dark) return qApp->setPalette(original);
    QPalette p;
    const QColor window(45, 47, 50), base(30, 31, 34), text(225, 225, 225), mid(95, 98, 104);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Mid, mid);
    p.setColor(QPalette::Dark, QColor(20, 20, 22));
    p.setColor(QPalette::Light, QColor(70, 72, 76));
    p.setColor(QPalette::Highlight, QColor(42, 130, 218));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(90, 170, 255));
    p.setColor(QPalette::PlaceholderText, QColor(140, 140, 140));
    for (auto role : {QPalette::Text, QPalette::ButtonText, QPalette::WindowText}) p.setColor(QPalette::Disabled, role, QColor(120, 120, 120));
    qApp->setPalette(p);
}

}  // namespace cx::app
