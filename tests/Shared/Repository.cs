namespace LoadKit.TestTargets;

/// <summary>Files of this clone that tests read (the README, golden files, the projects to pack).</summary>
internal static class Repository
{
    /// <summary>
    /// The clone's root: the folder above the test's output that holds LoadKit.sln. (Not the compiler's path of a
    /// source file: a CI build maps those to /_/.)
    /// </summary>
    public static string Root
    {
        get
        {
            var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
            while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "LoadKit.sln")))
            {
                folder = folder.Parent;
            }

            return folder?.FullName ?? throw new InvalidOperationException("LoadKit.sln not found above the test directory.");
        }
    }
}
