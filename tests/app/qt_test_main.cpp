// GoogleTest main with an (offscreen) QApplication and throw-away settings.
#include <QApplication>
#include <QStandardPaths>

#include <gtest/gtest.h>

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? "offscreen" : qgetenv("QT_QPA_PLATFORM"));
    QStandardPaths::setTestModeEnabled(true);  // settings go to a test location
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CircuitExplorerTests"));
    QApplication::setApplicationName(QStringLiteral("cx-tests"));
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
