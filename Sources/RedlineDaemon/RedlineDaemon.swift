public enum RedlineDaemonModule {}
