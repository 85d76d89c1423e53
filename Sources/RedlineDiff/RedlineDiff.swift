public enum RedlineDiffModule {}
