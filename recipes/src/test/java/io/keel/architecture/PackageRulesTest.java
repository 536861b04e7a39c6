package io.keel.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DESIGN §1's one-way package rules, checked on the compiled classes. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PackageRulesTest {
  static JavaClasses keel;

  @BeforeAll
  static void importClasses() {
    keel = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.keel");
  }

  @Test
  void theTreeIsPure() {
    noClasses().that().resideInAPackage("io.keel.tree..")
        .should().dependOnClassesThat().resideOutsideOfPackages(
            "io.keel.tree..", "io.keel.proto..", "java..", "com.google.protobuf..")
        .because("apply must depend only on the tree and the entry: no Ratis, no I/O frameworks")
        .check(keel);
    noClasses().that().resideInAPackage("io.keel.tree..")
        .should().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread")
        .because("no clock, randomness or threads in the tree")
        .check(keel);
  }

  @Test
  void watchesSitOnTheTreeAlone() {
    noClasses().that().resideInAPackage("io.keel.watch..")
        .should().dependOnClassesThat().resideOutsideOfPackages(
            "io.keel.watch..", "io.keel.tree..", "io.keel.proto..", "java..")
        .because("the watch registry is pure logic over tree events; delivery lives elsewhere")
        .check(keel);
  }

  @Test
  void theClientSeesOnlyTheProtocolAndRatisClient() {
    noClasses().that().resideInAPackage("io.keel.client..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "io.keel.tree..", "io.keel.statemachine..", "io.keel.server..", "io.keel.watch..",
            "org.apache.ratis.server..", "org.apache.ratis.statemachine..")
        .check(keel);
  }

  @Test
  void layersPointOneWay() {
    noClasses().that().resideInAPackage("io.keel.statemachine..")
        .should().dependOnClassesThat().resideInAnyPackage("io.keel.server..", "io.keel.client..",
            "io.keel.recipes..", "io.keel.cli..", "io.keel.front..")
        .check(keel);
    // The session front sits on the state machine; only the server (which starts it) knows it.
    noClasses().that().resideInAPackage("io.keel.front..")
        .should().dependOnClassesThat().resideInAnyPackage("io.keel.server..", "io.keel.client..",
            "io.keel.recipes..", "io.keel.cli..", "io.keel.testing..")
        .check(keel);
    noClasses().that().resideInAnyPackage("io.keel.tree..", "io.keel.watch..")
        .should().dependOnClassesThat().resideInAPackage("io.keel.front..")
        .check(keel);
    noClasses().that().resideInAnyPackage("io.keel.server..", "io.keel.testing..")
        .should().dependOnClassesThat().resideInAnyPackage("io.keel.client..", "io.keel.recipes..",
            "io.keel.cli..")
        .check(keel);
    noClasses().that().resideInAPackage("io.keel.recipes..")
        .should().dependOnClassesThat().resideInAnyPackage("io.keel.tree..",
            "io.keel.statemachine..", "io.keel.server..", "org.apache.ratis..")
        .allowEmptyShould(true)
        .check(keel);
  }
}
