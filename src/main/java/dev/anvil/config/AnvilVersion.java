package dev.anvil.config;

import picocli.CommandLine;

/** The project's version, from the jar's manifest ({@code Implementation-Version}): every command's {@code --version}. */
public final class AnvilVersion implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = AnvilVersion.class.getPackage().getImplementationVersion();
    return new String[] {"anvil " + (version == null ? "dev" : version)};
  }
}
