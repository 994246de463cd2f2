package dev.anvil;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No package of the product uses another that uses it back (checked on the compiled classes, so
 * every kind of use counts, not only imports): each package can be read, and changed, on top of
 * the ones below it. {@code dev.anvil.Main} alone sits above all of them.
 */
class PackageCyclesTest {

  private static final JavaClasses PRODUCT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.anvil");

  @Test
  void noPackageUsesOneThatUsesItBack() {
    slices().matching("dev.anvil.(**)").should().beFreeOfCycles().check(PRODUCT);
  }

  @Test
  void nothingButMainIsInTheRootPackage() {
    com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes()
        .that().resideInAPackage("dev.anvil").should().haveSimpleNameStartingWith("Main").check(PRODUCT);
  }
}
