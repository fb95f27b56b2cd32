package io.spottrain.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries, checked on the main code of every module (this module's test classpath
 * holds them all): the wire protocol depends on nothing of ours, the agent never on the
 * coordinator, examples and the checkpoint store only on the protocol, the API client on nothing
 * but the protocol, and no package depends on itself through others.
 */
class ModuleBoundariesTest {
    static final String PROTOCOL = "io.spottrain.protocol..";
    static final String COORDINATOR = "io.spottrain.coordinator..";
    static final String AGENT = "io.spottrain.agent..";
    static final String CHECKPOINT = "io.spottrain.checkpoint..";
    static final String EXAMPLES = "io.spottrain.examples..";
    static final String CLI = "io.spottrain.cli..";
    static final String CLIENT = "io.spottrain.client..";
    static final String LAUNCHERS = "io.spottrain.launchers..";

    static JavaClasses main;

    @BeforeAll
    static void load() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.spottrain");
    }

    @Test
    void theProtocolDependsOnNothingOfOurs() {
        noClasses().that().resideInAPackage(PROTOCOL).should().dependOnClassesThat()
                .resideInAnyPackage(COORDINATOR, AGENT, CHECKPOINT, EXAMPLES, CLI, CLIENT, LAUNCHERS).check(main);
    }

    @Test
    void theAgentNeverDependsOnTheCoordinator() {
        noClasses().that().resideInAPackage(AGENT).should().dependOnClassesThat().resideInAnyPackage(COORDINATOR, CLI, CLIENT, LAUNCHERS,
                EXAMPLES).check(main);
    }

    @Test
    void theCoordinatorDependsOnlyOnTheProtocol() {
        noClasses().that().resideInAPackage(COORDINATOR).should().dependOnClassesThat().resideInAnyPackage(AGENT, CHECKPOINT, CLI, CLIENT,
                LAUNCHERS, EXAMPLES).check(main);
    }

    @Test
    void examplesAndTheCheckpointStoreDependOnlyOnTheProtocol() {
        noClasses().that().resideInAnyPackage(EXAMPLES, CHECKPOINT).should().dependOnClassesThat().resideInAnyPackage(COORDINATOR, AGENT,
                CLI, CLIENT, LAUNCHERS).check(main);
        noClasses().that().resideInAPackage(EXAMPLES).should().dependOnClassesThat().resideInAPackage(CHECKPOINT).check(main);
    }

    @Test
    void theApiClientIsOnlyHttpAndTheProtocol() {
        noClasses().that().resideInAPackage(CLIENT).should().dependOnClassesThat().resideInAnyPackage(COORDINATOR, AGENT, CHECKPOINT, CLI,
                LAUNCHERS, EXAMPLES).check(main);
    }

    @Test
    void launchersDoNotDependOnTheCommandLine() {
        noClasses().that().resideInAPackage(LAUNCHERS).should().dependOnClassesThat().resideInAPackage(CLI).check(main);
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.spottrain.(**)").should().beFreeOfCycles().check(main);
    }
}
